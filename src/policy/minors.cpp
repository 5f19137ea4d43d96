#include "policy/minors.h"

#include <ctime>
#include <optional>

namespace facegate::policy {
namespace {

struct Ymd {
  int y, m, d;
};

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysIn(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

std::optional<Ymd> Parse(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  for (int i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
  Ymd v{std::stoi(s.substr(0, 4)), std::stoi(s.substr(5, 2)), std::stoi(s.substr(8, 2))};
  if (v.y < 1900 || v.m < 1 || v.m > 12 || v.d < 1 || v.d > DaysIn(v.y, v.m)) return std::nullopt;
  return v;
}

Ymd UtcDate(UnixTime t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t DaysFromCivil(int y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

}  // namespace

Status ValidateBirthDate(const std::string& birth_date, UnixTime now) {
  auto v = Parse(birth_date);
  if (!v)
    return Status::InvalidInput("birth date '" + birth_date +
                                "' is not a calendar date; write it as YYYY-MM-DD, e.g. 2015-03-31");
  Ymd today = UtcDate(now);
  if (DaysFromCivil(v->y, v->m, v->d) > DaysFromCivil(today.y, today.m, today.d))
    return Status::InvalidInput("birth date " + birth_date + " is in the future; check the year");
  return Status::Ok();
}

int AgeAt(const std::string& birth_date, UnixTime t) {
  auto b = Parse(birth_date);
  if (!b) return -1;
  Ymd now = UtcDate(t);
  int age = now.y - b->y;
  if (now.m < b->m || (now.m == b->m && now.d < b->d)) --age;
  return age;
}

bool IsChildAt(const std::string& birth_date, UnixTime t) {
  int age = AgeAt(birth_date, t);
  return age >= 0 && age < kAgeOfConsent;
}

UnixTime AgeOfConsentAt(const std::string& birth_date) {
  auto b = Parse(birth_date);
  if (!b) return 0;
  int y = b->y + kAgeOfConsent, m = b->m, d = b->d;
  if (m == 2 && d == 29 && !IsLeap(y)) m = 3, d = 1;
  return DaysFromCivil(y, m, d) * 86400;
}

}  // namespace facegate::policy
