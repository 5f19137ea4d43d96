// Reports for people outside the program (REQ F1-F3; docs/reports.md): impact assessments,
// the filing pack and the compliance report of a period, as HTML with SVG charts, and as PDF
// printed by headless Chromium (Debian's `chromium`). Pure rendering: the numbers come from
// the Service (CreateAssessment, FilingPack, MakeComplianceReport).
#pragma once

#include <facegate/records.h>
#include <facegate/service.h>
#include <facegate/status.h>

#include <array>
#include <string>
#include <vector>

namespace facegate::reports {

// The impact assessments as one printable document, each with its recorded SHA-256 (REQ F1).
std::string AssessmentsHtml(const std::vector<ImpactAssessmentRecord>& assessments, UnixTime made_at);
// The filing pack (the JSON of Service::FilingPack) as a printable document (REQ F2).
std::string FilingHtml(const std::string& pack_json);
// The compliance report as a printable document with ROC and DET charts (REQ F3).
std::string ComplianceHtml(const service::ComplianceReport& r);
// The same report as JSON (what GET /v1/reports/compliance?format=json answers).
std::string ComplianceJson(const service::ComplianceReport& r);
// An SVG chart of (FAR, TAR, threshold) points: "roc" plots TAR against FAR, "det" the false
// rejection rate against FAR, both FAR axes logarithmic. "" for no points.
std::string CurveSvg(const std::vector<std::array<double, 3>>& roc, const std::string& kind);

// Prints `html` to PDF bytes with headless Chromium ($FACEGATE_CHROMIUM, default
// /usr/bin/chromium). kUnavailable-like kInternal saying to install chromium when it fails.
Result<std::string> HtmlToPdf(const std::string& html);
// Writes `html` to `path`: as it is for ".html", printed for ".pdf" (kInvalidInput otherwise).
Status WriteReport(const std::string& html, const std::string& path);

}  // namespace facegate::reports
