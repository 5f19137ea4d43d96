// Identity apart from biometrics (REQ S3), on every backend: the templates
// table holds sealed blobs linked by the pseudonymous id and nothing that says
// who the person is; identity columns live in subjects only.
#include <facegate/store.h>
#include <gtest/gtest.h>

#include <set>

#include "store_backends.h"
#include "../../support/requirement.h"

namespace facegate::store {
namespace {

using namespace facegate::store::testing;

using StoreSeparation = BackendTest;

// Number of columns of `table` whose name is not in `allowed` (SQL list).
std::string ColumnsNotIn(const std::string& backend, const std::string& table, const std::string& allowed) {
  if (backend == "postgres")
    return "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() "
           "AND table_name = '" + table + "' AND column_name NOT IN (" + allowed + ")";
  return "SELECT COUNT(*) FROM pragma_table_info('" + table + "') WHERE name NOT IN (" + allowed + ")";
}

std::string ColumnCount(const std::string& backend, const std::string& table) {
  return ColumnsNotIn(backend, table, "''");
}

TEST_P(StoreSeparation, S3_TemplatesHoldNoIdentityAndSubjectsNoBiometrics) {
  const std::string b = db_->backend();
  const std::string template_columns =
      "'id', 'subject', 'purpose', 'model', 'nonce', 'ciphertext', 'created_at', 'expires_at', "
      "'key_scope'";  // key_scope: which data key sealed it (REQ S7), nothing of the person
  REQUIREMENT("S3");
  ASSERT_EQ(db_->RawInt(ColumnCount(b, "templates")), 9);
  EXPECT_EQ(db_->RawInt(ColumnsNotIn(b, "templates", template_columns)), 0)
      << "the templates table gained a column: identity data belongs in subjects (REQ S3)";
  // subjects: the identity side has no sealed data and no model
  EXPECT_GT(db_->RawInt(ColumnCount(b, "subjects")), 0);
  EXPECT_EQ(db_->RawInt(ColumnCount(b, "subjects")),
            db_->RawInt(ColumnsNotIn(b, "subjects", "'nonce', 'ciphertext', 'model', 'wrapped'")));
  // and the link is the pseudonymous id: a stored template names the subject id only
  MustAddPurpose(*store_, "office-entry");
  ASSERT_TRUE(store_->EnsureSubject("S-7f3a", kNow).ok());
  SealedTemplate t;
  t.subject = "S-7f3a";
  t.purpose = "office-entry";
  t.model = "m";
  t.nonce = std::string(24, '\1');
  t.ciphertext = std::string(528, '\2');
  t.created_at = kNow;
  t.expires_at = kNow + 10;
  ASSERT_TRUE(store_->PutTemplate(t).ok());
  EXPECT_EQ(db_->RawInt("SELECT COUNT(*) FROM templates t JOIN subjects s ON s.id = t.subject"), 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreSeparation, ::testing::ValuesIn(TestBackends()), BackendName());

}  // namespace
}  // namespace facegate::store
