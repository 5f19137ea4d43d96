// The rule table is the one source of requirement ids and citations: it must
// cover the whole catalogue (../shared/REQUIREMENTS.md) and nothing else.
#include "policy/rules.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace facegate::policy {
namespace {

std::set<std::string> CatalogueIds() {
  std::ifstream in(std::string(FACEGATE_FACEDATA) + "/../REQUIREMENTS.md");
  EXPECT_TRUE(in.good()) << "REQUIREMENTS.md not found beside facedata";
  std::set<std::string> ids;
  std::regex item(R"(^- ([A-Z]{1,2}[0-9]{1,2}) )");
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, item)) ids.insert(m[1]);
  }
  return ids;
}

TEST(Rules, TableCoversExactlyTheCatalogue) {
  std::set<std::string> catalogue = CatalogueIds();
  ASSERT_GE(catalogue.size(), 45u);
  std::set<std::string> table;
  for (const Rule& r : Rules()) {
    EXPECT_TRUE(table.insert(r.id).second) << "duplicate id " << r.id;
    EXPECT_FALSE(r.title.empty()) << r.id;
  }
  for (const std::string& id : catalogue) EXPECT_TRUE(table.count(id)) << id << " missing from the table";
  for (const std::string& id : table) EXPECT_TRUE(catalogue.count(id)) << id << " is not in the catalogue";
}

TEST(Rules, FindRuleGivesCitation) {
  const Rule* c1 = FindRule("C1");
  ASSERT_NE(c1, nullptr);
  EXPECT_EQ(c1->citation, "PIPL 14, 29; SPC 2, 4");
  EXPECT_EQ(FindRule("Z9"), nullptr);
}

}  // namespace
}  // namespace facegate::policy
