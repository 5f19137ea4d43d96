#include "store/sql.h"

#include <cctype>

namespace facegate::store::sql {

std::string Render(std::string_view text, const Tokens& tokens) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const size_t open = text.find('{', i);
    if (open == std::string_view::npos) break;
    size_t end = open + 1;
    while (end < text.size() && (std::islower(static_cast<unsigned char>(text[end])) || text[end] == '_')) ++end;
    out.append(text.substr(i, open - i));
    i = open + 1;
    if (end > open + 1 && end < text.size() && text[end] == '}') {
      auto it = tokens.find(text.substr(open + 1, end - open - 1));
      if (it != tokens.end()) {
        out += it->second;
        i = end + 1;
        continue;
      }
    }
    out += '{';
  }
  out.append(text.substr(i));
  return out;
}

namespace {

// Runs `body` one transaction level deeper; if it throws, `undo` runs first.
template <class Undo>
Status Deeper(int& depth, const std::function<Status()>& body, Undo undo) {
  ++depth;
  Status s;
  try {
    s = body();
  } catch (...) {
    --depth;
    undo();
    throw;
  }
  --depth;
  return s;
}

}  // namespace

Status Db::Transaction(const std::function<Status()>& body) {
  auto lock = Lock();
  const bool outer = depth_ == 0;
  const std::string sp = "fg_sp" + std::to_string(depth_);
  if (outer) {
    FG_RETURN_IF_ERROR(conn_->BeginWrite());
  } else {
    FG_RETURN_IF_ERROR(conn_->Script("SAVEPOINT " + sp, "starting a savepoint"));
  }
  auto rollback = [&] {
    if (outer) {
      conn_->Rollback();
    } else {
      (void)conn_->Script("ROLLBACK TO SAVEPOINT " + sp + "; RELEASE SAVEPOINT " + sp,
                          "rolling back a savepoint");
    }
  };
  Status s = Deeper(depth_, body, rollback);
  if (!s.ok()) {
    rollback();
    return s;
  }
  if (conn_->Aborted()) {
    // The body ignored a failed statement; the database would not commit the rest.
    rollback();
    return Status::Internal("a statement inside a transaction on " + conn_->Describe() +
                            " failed and its error was ignored: nothing was written; retry");
  }
  Status c = outer ? conn_->Commit() : conn_->Script("RELEASE SAVEPOINT " + sp, "releasing a savepoint");
  if (!c.ok()) {
    rollback();
    return c;
  }
  if (outer) conn_->Committed();
  return c;
}

Status Db::Snapshot(const std::string& what, const std::function<Status()>& body) {
  auto lock = Lock();
  if (depth_ > 0) return body();
  FG_RETURN_IF_ERROR(conn_->BeginSnapshot(what));
  Status s = Deeper(depth_, body, [&] { conn_->Rollback(); });
  if (s.ok()) {
    if (!conn_->Commit().ok()) conn_->Rollback();  // a read: nothing to lose
  } else {
    conn_->Rollback();
  }
  return s;
}

Result<int64_t> Db::Query(std::string_view sql, const Params& p, const std::string& what, RowFn on_row) {
  auto lock = Lock();
  int64_t rows = 0;
  auto count = [&](const Row& row) -> Status {
    ++rows;
    return on_row(row);
  };
  const RowFn fn(count);
  FG_RETURN_IF_ERROR(conn_->Run(sql, p, what, &fn).status());
  return rows;
}

Result<int64_t> Db::Exec(std::string_view sql, const Params& p, const std::string& what) {
  auto lock = Lock();
  return conn_->Run(sql, p, what, nullptr);
}

Status Db::Script(const std::string& sql, const std::string& what) {
  auto lock = Lock();
  return conn_->Script(sql, what);
}

}  // namespace facegate::store::sql
