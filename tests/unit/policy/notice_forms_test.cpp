// Notice fields and accessible forms (REQ N1, N2).
#include <gtest/gtest.h>

#include "policy/notice.h"

namespace facegate::policy {
namespace {

const char* kText =
    "# Notice: office entry\n\nProcessor: Example Co.\nContact: dpo@example.com\n- Purpose: **entry** control\n"
    "Method: 1:1\nData kinds: face template\n## Storage period\n365 days,\nthen deleted\n\nWhy face: speed\n"
    "Rights: withdraw <any> time & ask\n";

TEST(NoticeForms, N1_FieldValuesFromLinesAndHeadings) {
  EXPECT_EQ(NoticeFieldValue(kText, "processor"), "Example Co.");
  EXPECT_EQ(NoticeFieldValue(kText, "purpose"), "entry control");
  EXPECT_EQ(NoticeFieldValue(kText, "storage period"), "365 days, then deleted");
  EXPECT_EQ(NoticeFieldValue("处理者：示例公司\n", "processor"), "示例公司");
  EXPECT_EQ(NoticeFieldValue(kText, "no such field"), "");
}

TEST(NoticeForms, N2_VoiceFormIsPlainSentences) {
  std::string v = NoticeForVoice(kText);
  EXPECT_EQ(v.find('#'), std::string::npos);
  EXPECT_EQ(v.find('*'), std::string::npos);
  EXPECT_NE(v.find("Processor: Example Co.\n"), std::string::npos) << v;
  EXPECT_NE(v.find("Purpose: entry control.\n"), std::string::npos) << v;
}

TEST(NoticeForms, N2_LargePrintIsEscapedHtmlWithLargeType) {
  std::string h = NoticeLargePrintHtml(kText, "Notice <1>");
  EXPECT_NE(h.find("font-size:28px"), std::string::npos);
  EXPECT_NE(h.find("<title>Notice &lt;1&gt;</title>"), std::string::npos);
  EXPECT_NE(h.find("<strong>Rights</strong>withdraw &lt;any&gt; time &amp; ask"), std::string::npos) << h;
  EXPECT_EQ(h.find("<any>"), std::string::npos);
}

}  // namespace
}  // namespace facegate::policy
