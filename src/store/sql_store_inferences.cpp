// The one store: sensitive inferences switched on per analysis purpose (REQ AN3).
#include "store/sql_store.h"

namespace facegate::store {

using sql::Params;
using sql::Row;
using sqlstore::Quote;

namespace {

const char* const kInferenceColumns =
    "purpose, inference, declared_use, justification, enabled_at, enabled_by, disabled_at, disabled_by";

InferenceRecord ReadInference(const Row& row) {
  InferenceRecord r;
  r.purpose = row.Text(0);
  r.inference = row.Text(1);
  r.declared_use = row.Text(2);
  r.justification = row.Text(3);
  r.enabled_at = row.Int(4);
  r.enabled_by = row.Text(5);
  r.disabled_at = row.OptInt(6);
  r.disabled_by = row.Text(7);
  return r;
}

}  // namespace

Status SqlStore::EnableInference(const InferenceRecord& r) {
  auto lock = db_.Lock();
  return db_.Transaction([&]() -> Status {
    // A new switch-on replaces the one in force (a changed use or justification is history too).
    FG_RETURN_IF_ERROR(db_.Exec("UPDATE purpose_inferences SET disabled_at = ?, disabled_by = ? "
                                "WHERE purpose = ? AND inference = ? AND disabled_at IS NULL",
                                Params().Int(r.enabled_at).Text(r.enabled_by).Text(r.purpose).Text(r.inference),
                                "replacing the inference " + Quote(r.inference) + " of purpose " + Quote(r.purpose))
                           .status());
    return db_.Exec("INSERT INTO purpose_inferences (purpose, inference, declared_use, justification, enabled_at, "
                    "enabled_by) VALUES (?, ?, ?, ?, ?, ?)",
                    Params()
                        .Text(r.purpose)
                        .Text(r.inference)
                        .Text(r.declared_use)
                        .Text(r.justification)
                        .Int(r.enabled_at)
                        .Text(r.enabled_by),
                    "switching the inference " + Quote(r.inference) + " on for purpose " + Quote(r.purpose))
        .status();
  });
}

Result<bool> SqlStore::DisableInference(const std::string& purpose, const std::string& inference, UnixTime at,
                                        const std::string& actor) {
  FG_ASSIGN_OR_RETURN(int64_t n,
                      db_.Exec("UPDATE purpose_inferences SET disabled_at = ?, disabled_by = ? "
                               "WHERE purpose = ? AND inference = ? AND disabled_at IS NULL",
                               Params().Int(at).Text(actor).Text(purpose).Text(inference),
                               "switching the inference " + Quote(inference) + " off for purpose " + Quote(purpose)));
  return n > 0;
}

Result<std::optional<InferenceRecord>> SqlStore::InferenceInForce(const std::string& purpose,
                                                                  const std::string& inference) {
  std::optional<InferenceRecord> found;
  FG_RETURN_IF_ERROR(db_.Query(std::string("SELECT ") + kInferenceColumns +
                                   " FROM purpose_inferences WHERE purpose = ? AND inference = ? "
                                   "AND disabled_at IS NULL",
                               Params().Text(purpose).Text(inference),
                               "reading the inference " + Quote(inference) + " of purpose " + Quote(purpose),
                               sqlstore::Assign(found, ReadInference))
                         .status());
  return found;
}

Result<std::vector<InferenceRecord>> SqlStore::ListInferences(const std::string& purpose) {
  std::vector<InferenceRecord> out;
  FG_RETURN_IF_ERROR(db_.Query(std::string("SELECT ") + kInferenceColumns +
                                   " FROM purpose_inferences WHERE (? = '' OR purpose = ?) ORDER BY id",
                               Params().Text(purpose).Text(purpose),
                               "listing the inferences of purpose " + Quote(purpose),
                               sqlstore::Append(out, ReadInference))
                         .status());
  return out;
}

}  // namespace facegate::store
