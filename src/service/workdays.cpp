// The PRC working-day calendar (REQ F2; data/holidays-cn.tsv).
#include "service/workdays.h"

#include <cstdio>
#include <fstream>
#include <sstream>

namespace facegate::service {

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian).
int64_t DaysFromCivil(int y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

std::string CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp + (mp < 10 ? 3 : -9);
  y += m <= 2;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(y), static_cast<int>(m), static_cast<int>(d));
  return buf;
}

bool ParseCivilDate(const std::string& s, int64_t* days) {
  int y = 0, m = 0, d = 0;
  char tail = 0;
  if (s.size() != 10 || std::sscanf(s.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3) return false;
  if (m < 1 || m > 12 || d < 1 || d > 31) return false;
  const int64_t v = DaysFromCivil(y, m, d);
  if (CivilFromDays(v) != s) return false;  // 2025-02-30 and the like
  *days = v;
  return true;
}

int64_t ChinaDay(UnixTime t) {
  const int64_t local = t + 8 * 3600;
  int64_t days = local / 86400;
  if (local % 86400 < 0) --days;
  return days;
}

std::string ChinaDate(UnixTime t) { return CivilFromDays(ChinaDay(t)); }

Result<WorkdayCalendar> WorkdayCalendar::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Status::NotFound("the holiday calendar " + path +
                            " cannot be read: point $FACEGATE_HOLIDAYS at a copy of data/holidays-cn.tsv");
  std::ostringstream s;
  s << in.rdbuf();
  return Parse(s.str(), path);
}

Result<WorkdayCalendar> WorkdayCalendar::Parse(const std::string& text, const std::string& origin) {
  WorkdayCalendar c;
  std::istringstream in(text);
  std::string line;
  int no = 0;
  while (std::getline(in, line)) {
    ++no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    std::istringstream f(line);
    std::string date, kind, name;
    std::getline(f, date, '\t');
    std::getline(f, kind, '\t');
    std::getline(f, name);
    int64_t days = 0;
    const std::string where = origin + " line " + std::to_string(no);
    if (!ParseCivilDate(date, &days))
      return Status::InvalidInput(where + ": '" + date + "' is not a date YYYY-MM-DD; fix the line");
    if (kind == "holiday") {
      c.holidays_[days] = name;
    } else if (kind == "workday") {
      c.workdays_[days] = name;
    } else {
      return Status::InvalidInput(where + ": the kind must be 'holiday' or 'workday', not '" + kind + "'");
    }
    c.years_.insert(std::stoi(date.substr(0, 4)));
  }
  return c;
}

bool WorkdayCalendar::IsWorkday(int64_t days) const {
  if (workdays_.count(days)) return true;
  if (holidays_.count(days)) return false;
  const int64_t wd = ((days % 7) + 7 + 4) % 7;  // 1970-01-01 was a Thursday (4); 0 = Sunday
  return wd != 0 && wd != 6;
}

int64_t WorkdayCalendar::AddWorkdays(int64_t date, int n) const {
  int64_t d = date;
  for (int counted = 0; counted < n;) {
    ++d;
    if (IsWorkday(d)) ++counted;
  }
  return d;
}

std::string WorkdayCalendar::HolidayName(int64_t days) const {
  auto it = holidays_.find(days);
  return it == holidays_.end() ? "" : it->second;
}

}  // namespace facegate::service
