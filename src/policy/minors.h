// Minors by declared birth date (REQ M1, M2): the age of consent for face data
// is 14 (PIPL 28, 31: personal information of a child under 14 is sensitive and
// needs the consent of a parent or guardian). Ages are computed on the UTC date
// of the injected clock, so they change with time.
#pragma once

#include <facegate/records.h>
#include <facegate/status.h>

#include <string>

namespace facegate::policy {

// Under this age (whole years) only a guardian may consent (REQ M1).
constexpr int kAgeOfConsent = 14;
// Policy switch (REQ M2): "off" forbids face processing for under-14s altogether.
inline constexpr const char* kMinorsFaceSetting = "minors-face";

// Ok for a real calendar date "YYYY-MM-DD" not after `now`'s UTC date;
// kInvalidInput naming the problem otherwise.
Status ValidateBirthDate(const std::string& birth_date, UnixTime now);
// Age in whole years on the UTC date of `t` (a 29 February birthday counts on
// 1 March in other years); -1 when birth_date is empty or malformed.
int AgeAt(const std::string& birth_date, UnixTime t);
// True when a birth date is declared and the person is under 14 at `t`.
bool IsChildAt(const std::string& birth_date, UnixTime t);
// The UTC instant at which the person turns 14 (start of that day).
UnixTime AgeOfConsentAt(const std::string& birth_date);

}  // namespace facegate::policy
