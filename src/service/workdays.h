// The working-day calendar of the PRC (REQ F2): weekends, official holidays and the adjusted
// working days (调休) from a data file the operator updates (data/holidays-cn.tsv), so the
// filing due date "within 30 working days" (Measures 15) is counted as the authority counts it.
#pragma once

#include <facegate/records.h>
#include <facegate/status.h>

#include <map>
#include <set>
#include <string>

namespace facegate::service {

// Days since 1970-01-01 of a civil date, and back ("YYYY-MM-DD").
int64_t DaysFromCivil(int y, int m, int d);
std::string CivilFromDays(int64_t days);
// Parses "YYYY-MM-DD" into days since the epoch; false when it is not a real date.
bool ParseCivilDate(const std::string& s, int64_t* days);
// The date in China Standard Time (UTC+8) of a Unix time, "YYYY-MM-DD".
std::string ChinaDate(UnixTime t);
// The day number (days since 1970-01-01) in China Standard Time of a Unix time, and the Unix
// time of a day's 00:00 China Standard Time.
int64_t ChinaDay(UnixTime t);
inline UnixTime ChinaDayStart(int64_t days) { return days * 86400 - 8 * 3600; }

class WorkdayCalendar {
 public:
  // Reads the TSV (date, holiday|workday, name; '#' comments). kInvalidInput naming the line
  // that is wrong; kNotFound when the file is missing, saying how to point at one.
  static Result<WorkdayCalendar> Load(const std::string& path);
  // Parses the text of such a file (`origin` names it in errors).
  static Result<WorkdayCalendar> Parse(const std::string& text, const std::string& origin);

  // True for a working day: Monday to Friday unless a holiday, or a listed adjusted working day.
  bool IsWorkday(int64_t days) const;
  // The date `n` working days after `date` (the day itself not counted).
  int64_t AddWorkdays(int64_t date, int n) const;
  // Whether the file lists any day of `year` (a due date past the last year is counted on
  // weekends alone, and the caller says so).
  bool Covers(int year) const { return years_.count(year) > 0; }
  // The holiday's name of a date ("" when none).
  std::string HolidayName(int64_t days) const;

 private:
  std::map<int64_t, std::string> holidays_, workdays_;
  std::set<int> years_;
};

}  // namespace facegate::service
