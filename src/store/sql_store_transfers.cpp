// The one store: PIPL 38 mechanisms recorded per recipient abroad (REQ S8).
#include "store/sql_store.h"

namespace facegate::store {

using sql::Params;
using sql::Row;
using sqlstore::Now;
using sqlstore::Quote;

namespace {

const char* const kTransferColumns = "recipient, country, mechanism, reference, contact, recorded_at, actor";

TransferBasisRecord ReadTransferBasis(const Row& row) {
  TransferBasisRecord t;
  t.recipient = row.Text(0);
  t.country = row.Text(1);
  t.mechanism = row.Text(2);
  t.reference = row.Text(3);
  t.contact = row.Text(4);
  t.recorded_at = row.Int(5);
  t.actor = row.Text(6);
  return t;
}

}  // namespace

Status SqlStore::PutTransferBasis(const TransferBasisRecord& t) {
  if (t.recipient.empty()) return Status::InvalidInput("a transfer basis names its recipient");
  return db_.Exec("INSERT INTO transfer_bases (recipient, country, mechanism, reference, contact, recorded_at, "
                  "actor) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (recipient) DO UPDATE SET "
                  "country = excluded.country, mechanism = excluded.mechanism, reference = excluded.reference, "
                  "contact = excluded.contact, recorded_at = excluded.recorded_at, actor = excluded.actor",
                  Params()
                      .Text(t.recipient)
                      .Text(t.country)
                      .Text(t.mechanism)
                      .Text(t.reference)
                      .Text(t.contact)
                      .Int(t.recorded_at ? t.recorded_at : Now())
                      .Text(t.actor),
                  "recording the transfer basis of recipient " + Quote(t.recipient))
      .status();
}

Result<TransferBasisRecord> SqlStore::GetTransferBasis(const std::string& recipient) {
  std::optional<TransferBasisRecord> found;
  FG_RETURN_IF_ERROR(db_.Query(std::string("SELECT ") + kTransferColumns + " FROM transfer_bases WHERE recipient = ?",
                               Params().Text(recipient), "reading the transfer basis of " + Quote(recipient),
                               sqlstore::Assign(found, ReadTransferBasis))
                         .status());
  if (!found)
    return Status::NotFound("no transfer basis is recorded for recipient " + Quote(recipient) +
                            " (a recipient in mainland China needs none)");
  return *found;
}

Result<std::vector<TransferBasisRecord>> SqlStore::ListTransferBases() {
  std::vector<TransferBasisRecord> out;
  FG_RETURN_IF_ERROR(db_.Query(std::string("SELECT ") + kTransferColumns + " FROM transfer_bases ORDER BY recipient",
                               Params(), "listing the transfer bases", sqlstore::Append(out, ReadTransferBasis))
                         .status());
  return out;
}

}  // namespace facegate::store
