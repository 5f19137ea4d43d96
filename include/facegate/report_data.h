// What the console's dashboard, the impact assessments, the filing line and the compliance
// report are made of (REQ F1-F3; docs/reports.md, docs/ui.md): counts and records from the
// store, nothing about any one person beyond the rights requests due. The Service fills them.
#pragma once

#include <facegate/records.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace facegate::service {

// What the operator console's dashboard shows (src/service/dashboard.cpp; docs/ui.md): counts
// from the store, nothing about any one person.
struct DashboardReport {
  int64_t people_with_face_data = 0;  // distinct subjects with a template (REQ F2)
  static constexpr int64_t kFilingLine = 100'000;  // Measures 15: filing with the provincial CAC
  std::vector<std::pair<std::string, int64_t>> refusals;  // requirement id -> refusals in the audit log
  int64_t consent_refusals = 0;                           // people who said no (REQ C7)
  struct AlternativeCount {
    std::string method;
    int64_t granted = 0, denied = 0, open = 0;
  };
  std::vector<AlternativeCount> alternatives;  // face-free transactions per method (REQ A2, C6)
  int64_t rights_open = 0, rights_overdue = 0;  // open requests; those past their deadline (REQ R1)
  int64_t rights_due_soon = 0;                  // open, not overdue, due within 3 days
  std::vector<RightsRequestRecord> rights_due;  // open requests, soonest deadline first (at most 20)
  UnixTime at = 0;                              // the service clock when counted
};

// What a new impact assessment says (REQ F1): the parts a person writes; the measures are
// drawn from the configuration by the Service.
struct AssessmentInput {
  std::string target_kind = "purpose";  // "purpose" or "device"
  std::string target;                   // purpose name or device id
  std::string lawfulness;               // why lawful, legitimate and necessary (PIPL 56 (1))
  std::vector<std::string> data_kinds;  // empty: "face image", "face template"
  std::string impact;                   // impact on people's rights and the risks (PIPL 56 (2))
  int64_t scope_size = 1000;            // most people the purpose may hold; growing past it is a change
  std::string author;                   // who wrote it (a name; "" = the actor)
};

// The count of distinct people with face data against the filing marks (REQ F2, F3).
struct FilingStatus {
  int64_t people = 0;                   // this home's store (plus tenants' when asked)
  std::vector<std::pair<std::string, int64_t>> by_tenant;  // "" = the home itself
  int64_t filing_line = 100000;
  std::vector<int64_t> marks;           // every mark checked, ascending
  std::vector<FilingMarkRecord> crossed;  // recorded marks, ascending
  std::vector<FilingMarkRecord> newly_crossed;  // crossed by this check
  std::string due_date;                 // the filing's due date once the line is crossed, else ""
  std::string warning;                  // the next mark is near, or the calendar ends before the due date
};

// The compliance report of one period (REQ F3), as data; reports.cpp renders it.
struct ComplianceReport {
  UnixTime from = 0, to = 0, made_at = 0;
  AuditCheck audit;
  PeriodCounts counts;
  std::vector<ImpactAssessmentRecord> assessments;
  std::vector<DeviceRecord> devices;
  std::vector<SiteRecord> sites;
  FilingStatus filing;
  std::string eval_json;  // the accuracy results file's JSON ("" none)
};

}  // namespace facegate::service
