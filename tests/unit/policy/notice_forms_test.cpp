// Notice fields and accessible forms (REQ N1, N2).
#include <gtest/gtest.h>

#include "policy/notice.h"
#include "../../support/requirement.h"

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
  std::string v = NoticeForVoice(kText, {});
  REQUIREMENT("N2");
  EXPECT_EQ(v.find('#'), std::string::npos);
  EXPECT_EQ(v.find('*'), std::string::npos);
  EXPECT_NE(v.find("Processor: Example Co.\n"), std::string::npos) << v;
  EXPECT_NE(v.find("Purpose: entry control.\n"), std::string::npos) << v;
}

TEST(NoticeForms, N2_LargePrintIsEscapedHtmlWithLargeType) {
  std::string h = NoticeLargePrintHtml(kText, "Notice <1>", {});
  REQUIREMENT("N2");
  EXPECT_NE(h.find("font-size:28px"), std::string::npos);
  EXPECT_NE(h.find("<title>Notice &lt;1&gt;</title>"), std::string::npos);
  EXPECT_NE(h.find("<strong>Rights</strong>withdraw &lt;any&gt; time &amp; ask"), std::string::npos) << h;
  EXPECT_EQ(h.find("<any>"), std::string::npos);
}

TEST(NoticeForms, A3_EveryFormNamesTheAlternativesRightAfterTheFaceMethodAsAField) {
  const std::vector<std::string> alts = {"staff-card", "pin"};
  const std::string st = AlternativesStatement(alts);
  REQUIREMENT("A3");
  EXPECT_NE(st.find("Other ways: staff-card, pin."), std::string::npos) << st;
  EXPECT_NE(st.find("no extra fee and no extra wait"), std::string::npos) << st;
  EXPECT_NE(st.find("no image of your face is taken"), std::string::npos) << st;
  EXPECT_NE(st.find("其他方式：staff-card、pin。"), std::string::npos) << st;
  EXPECT_NE(st.find("不额外收费，无需额外等待"), std::string::npos) << st;
  EXPECT_EQ(AlternativesStatement({}), "") << "face-only under a recorded mandate: nothing to offer";

  // Voice: the sentence follows the method sentence, before the data kinds.
  const std::string v = NoticeForVoice(kText, alts);
  const size_t method = v.find("Method: 1:1.\n");
  const size_t other = v.find("Other ways: staff-card, pin.");
  const size_t kinds = v.find("Data kinds:");
  ASSERT_NE(method, std::string::npos) << v;
  ASSERT_NE(other, std::string::npos) << v;
  EXPECT_LT(method, other);
  EXPECT_LT(other, kinds);
  EXPECT_EQ(v.find("Other ways", other + 1), std::string::npos) << "once";

  // Large print: the same markup as every field (a <strong> label in its own block), same size.
  const std::string h = NoticeLargePrintHtml(kText, "Notice", alts);
  const size_t m = h.find("<p><strong>Method</strong>1:1</p>");
  const size_t o = h.find("<p><strong>Other ways</strong>staff-card, pin.");
  ASSERT_NE(m, std::string::npos) << h;
  ASSERT_NE(o, std::string::npos) << h;
  EXPECT_LT(m, o);
  EXPECT_EQ(h.find("<small"), std::string::npos);

  // A Chinese notice: placed after 方式.
  const std::string zh = NoticeForVoice("处理者：示例公司\n方式：一比一核验\n数据种类：人脸模板\n", alts);
  EXPECT_LT(zh.find("方式：一比一核验"), zh.find("其他方式"));
  EXPECT_LT(zh.find("其他方式"), zh.find("数据种类")) << zh;
  // No method line (a heading notice): the statement comes first, not last.
  const std::string top = NoticeForVoice("Processor: X\n", alts);
  EXPECT_EQ(top.rfind("Other ways", 0), 0u) << top;
}

TEST(StoragePeriod, ThePeriodReadIsCheckedAgainstTheRetentionInEveryUnit) {
  auto notice = [](const std::string& period) { return "Purpose: x\nStorage period: " + period + "\n"; };
  EXPECT_TRUE(CheckStoragePeriod(notice("365 days, then deleted"), 365).ok());
  EXPECT_TRUE(CheckStoragePeriod(notice("1 year"), 365).ok());
  EXPECT_TRUE(CheckStoragePeriod(notice("12 months"), 365).ok());
  EXPECT_TRUE(CheckStoragePeriod(notice("2 weeks"), 14).ok());
  EXPECT_TRUE(CheckStoragePeriod(notice("保存 30 天后删除"), 30).ok());
  EXPECT_TRUE(CheckStoragePeriod(notice("3 年"), 1095).ok());
  EXPECT_EQ(CheckStoragePeriod(notice("365 days"), 30).requirement(), "N1");
  EXPECT_EQ(CheckStoragePeriod(notice("until you leave"), 30).requirement(), "N1");
  EXPECT_EQ(CheckStoragePeriod(notice("30 fortnights"), 30).requirement(), "N1");
  EXPECT_EQ(CheckStoragePeriod("Purpose: x\n", 30).requirement(), "N1");
}

}  // namespace
}  // namespace facegate::policy
