// Tenants (REQ S10, PIPL 21; docs/tenants.md): one facegate home per tenant,
// a registry of them at the root, and the end of an entrustment: return a
// package, then delete every copy (through the Service first, so indexes and
// subject keys are shredded as for any deletion, REQ S7; then the master key
// and the files).
#include <facegate/tenants.h>

#include <fcntl.h>
#include <libpq-fe.h>
#include <sys/file.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "service/json_views.h"
#include "store/audit_chain.h"
#include "store/postgres_migrations.h"

namespace facegate::tenants {

namespace fs = std::filesystem;
using json = nlohmann::json;
using service::FormatTime;

namespace {

constexpr const char* kRegistryFile = "registry.json";
constexpr const char* kRegistryLock = "registry.lock";
// Present in every tenant home: a serve or command holds it shared, an end exclusively.
constexpr const char* kLeaseFile = "tenant.lock";
constexpr const char* kFormat = "facegate.tenants/1";
constexpr const char* kPackageFormat = "facegate.tenant-package/1";

UnixTime Now() { return static_cast<UnixTime>(std::time(nullptr)); }

std::string Quote(const std::string& s) { return "'" + s + "'"; }

std::string Errno(const std::string& what, const std::string& path) {
  return what + " " + Quote(path) + ": " + std::strerror(errno);
}

json ToJson(const TenantRecord& t) {
  json j = {{"name", t.name},
            {"created_at", t.created_at},
            {"state", t.state},
            {"database", t.database}};
  if (t.ended_at) j["ended_at"] = t.ended_at;
  if (!t.ended_how.empty()) j["ended_how"] = t.ended_how;
  if (!t.package_sha256.empty()) j["package_sha256"] = t.package_sha256;
  if (!t.package_path.empty()) j["package_path"] = t.package_path;
  if (!t.end_mode.empty()) j["end_mode"] = t.end_mode;
  if (!t.end_step.empty()) j["end_step"] = t.end_step;
  if (t.end_started_at) j["end_started_at"] = t.end_started_at;
  return j;
}

TenantRecord FromJson(const json& j) {
  TenantRecord t;
  t.name = j.value("name", "");
  t.created_at = j.value("created_at", UnixTime{0});
  t.state = j.value("state", "");
  t.database = j.value("database", "");
  t.ended_at = j.value("ended_at", UnixTime{0});
  t.ended_how = j.value("ended_how", "");
  t.package_sha256 = j.value("package_sha256", "");
  t.package_path = j.value("package_path", "");
  t.end_mode = j.value("end_mode", "");
  t.end_step = j.value("end_step", "");
  t.end_started_at = j.value("end_started_at", UnixTime{0});
  return t;
}

Status FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::Internal(Errno("cannot open directory", dir));
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Status::Internal(Errno("cannot sync directory", dir));
  return Status::Ok();
}

// Writes `data` to `path` and makes it durable (fsync of the file). Mode 0600.
Status WriteDurable(const std::string& path, const std::string& data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Status::Internal(Errno("cannot write", path) + " (check the directory's permissions)");
  size_t off = 0;
  while (off < data.size()) {
    ssize_t w = ::write(fd, data.data() + off, data.size() - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      Status s = Status::Internal(Errno("cannot write", path) + " (check free space)");
      ::close(fd);
      return s;
    }
    off += static_cast<size_t>(w);
  }
  if (::fsync(fd) != 0) {
    Status s = Status::Internal(Errno("cannot sync", path));
    ::close(fd);
    return s;
  }
  ::close(fd);
  return Status::Ok();
}

// Atomic replacement: a temporary file, fsync, rename, fsync of the directory.
// A crash leaves either the old or the new registry, never a torn one.
Status WriteAtomically(const std::string& path, const std::string& data) {
  const std::string tmp = path + ".tmp";
  FG_RETURN_IF_ERROR(WriteDurable(tmp, data));
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Status::Internal(Errno("cannot replace", path));
  return FsyncDir(fs::path(path).parent_path().string());
}

// Overwrites a regular file's bytes with zeros, syncs and unlinks it. On a
// copy-on-write or flash device the old blocks may survive the overwrite; the
// keys are what makes the data unreadable (docs/tenants.md).
Status ShredFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd >= 0) {
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
      std::string zeros(64 * 1024, '\0');
      off_t left = st.st_size;
      while (left > 0) {
        size_t n = static_cast<size_t>(std::min<off_t>(left, static_cast<off_t>(zeros.size())));
        ssize_t w = ::write(fd, zeros.data(), n);
        if (w <= 0) {
          if (w < 0 && errno == EINTR) continue;
          break;
        }
        left -= w;
      }
      ::fsync(fd);
    }
    ::close(fd);
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Status::Internal(Errno("cannot remove", path));
  return Status::Ok();
}

// An exclusive hold on the registry while it is read, changed and written.
class RegistryLock {
 public:
  static Result<RegistryLock> Take(const std::string& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return Status::Internal("cannot create " + Quote(dir) + ": " + ec.message());
    ::chmod(dir.c_str(), 0700);
    std::string path = dir + "/" + kRegistryLock;
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return Status::Internal(Errno("cannot open", path));
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      Status s = Status::Internal(Errno("cannot lock", path));
      ::close(fd);
      return s;
    }
    return RegistryLock(fd);
  }
  RegistryLock(RegistryLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  ~RegistryLock() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  explicit RegistryLock(int fd) : fd_(fd) {}
  int fd_;
};

Result<std::vector<TenantRecord>> LoadRegistry(const std::string& dir) {
  std::vector<TenantRecord> out;
  const std::string path = dir + "/" + kRegistryFile;
  std::ifstream in(path, std::ios::binary);
  if (!in) return out;  // no tenant yet
  std::ostringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("format", "") != kFormat || !j["tenants"].is_array())
    return Status::Integrity("the tenant registry " + Quote(path) +
                             " is not a facegate tenant registry (format " + kFormat +
                             "); restore it from a backup");
  for (const json& t : j["tenants"]) out.push_back(FromJson(t));
  return out;
}

Status SaveRegistry(const std::string& dir, std::vector<TenantRecord> all) {
  std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.name < b.name; });
  json arr = json::array();
  for (const TenantRecord& t : all) arr.push_back(ToJson(t));
  json j = {{"format", kFormat}, {"tenants", arr}};
  return WriteAtomically(dir + "/" + kRegistryFile, j.dump(2) + "\n");
}

TenantRecord* Find(std::vector<TenantRecord>& all, const std::string& name) {
  for (TenantRecord& t : all)
    if (t.name == name) return &t;
  return nullptr;
}

// host, port and database a conninfo names, so two spellings of one database compare equal.
std::string DatabaseIdentity(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  if (!opts) {
    if (err) PQfreemem(err);
    return conninfo;
  }
  std::map<std::string, std::string> v;
  for (PQconninfoOption* o = opts; o->keyword; ++o)
    if (o->val && *o->val) v[o->keyword] = o->val;
  PQconninfoFree(opts);
  std::string host = v.count("hostaddr") ? v["hostaddr"] : v["host"];
  if (host.empty() || host == "localhost" || host == "127.0.0.1" || host == "::1") host = "local";
  std::string port = v.count("port") ? v["port"] : "5432";
  std::string db = v.count("dbname") ? v["dbname"] : v["user"];
  return host + ":" + port + "/" + db;
}

// The database a conninfo names, without user or password, for messages.
std::string DatabaseLabel(const std::string& conninfo) {
  std::string id = DatabaseIdentity(conninfo);
  return id == conninfo ? "the tenant's PostgreSQL database" : "PostgreSQL database " + id;
}

std::string EndedText(const TenantRecord& t) {
  std::string s = "tenant " + Quote(t.name) + " ended at " + FormatTime(t.ended_at) + " (" + t.ended_how;
  if (!t.package_sha256.empty()) s += "; package sha256 " + t.package_sha256;
  return s + "): its data was " + (t.ended_how == "deleted" ? "deleted" : "returned and deleted") +
         " and no longer exists here";
}

std::string EndingText(const TenantRecord& t) {
  return "tenant " + Quote(t.name) + " is being ended (started " + FormatTime(t.end_started_at) +
         ", step " + t.end_step + "); finish with: facegate tenant end " + t.name +
         (t.end_mode == "delete" ? " --delete-only --confirm " + t.name : " --return-to DIR");
}

// Takes the tenant's lease file with flock `op` (LOCK_SH or LOCK_EX, never waiting).
Result<int> TakeLeaseFd(const std::string& home, int op) {
  const std::string path = home + "/" + kLeaseFile;
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Status::Internal(Errno("cannot open", path));
  while (::flock(fd, op | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) return Status::Conflict("busy");
    errno = err;
    return Status::Internal(Errno("cannot lock", path));
  }
  return fd;
}

// A file name for a subject id: bytes outside [A-Za-z0-9_-] become %XX.
std::string FileNameOf(const std::string& subject) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : subject) {
    if (std::isalnum(c) || c == '_' || c == '-') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

json AuditEventJson(const AuditEvent& e) {
  return {{"seq", e.seq},         {"at", e.at},           {"actor", e.actor},
          {"action", e.action},   {"subject", e.subject}, {"purpose", e.purpose},
          {"outcome", e.outcome}, {"detail", e.detail},   {"prev_hash", e.prev_hash},
          {"hash", e.hash}};
}

// What went into a package.
struct PackageInfo {
  std::string sha256;
  int64_t subjects = 0;
  bool audit_intact = false;
  int64_t audit_events = 0;
};

// Writes a package's files one by one (never the whole package in memory):
// each is streamed to disk, hashed as it is written and fsynced when closed.
class PackageWriter {
 public:
  explicit PackageWriter(std::string dir) : dir_(std::move(dir)) {}
  ~PackageWriter() {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Begin() {
    std::error_code ec;
    for (const char* sub : {"subjects", "audit"}) {
      fs::create_directories(fs::path(dir_) / sub, ec);
      if (ec) return Status::Internal("cannot create the package folder " + Quote(dir_) + ": " + ec.message());
    }
    ::chmod(dir_.c_str(), 0700);
    return Status::Ok();
  }
  Status Open(const std::string& rel) {
    rel_ = rel;
    bytes_ = 0;
    crypto_hash_sha256_init(&hash_);
    const std::string path = dir_ + "/" + rel;
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd_ < 0) return Status::Internal(Errno("cannot write", path) + " (check the folder's permissions)");
    return Status::Ok();
  }
  Status Append(const std::string& data) {
    crypto_hash_sha256_update(&hash_, reinterpret_cast<const unsigned char*>(data.data()), data.size());
    bytes_ += data.size();
    size_t off = 0;
    while (off < data.size()) {
      ssize_t w = ::write(fd_, data.data() + off, data.size() - off);
      if (w < 0) {
        if (errno == EINTR) continue;
        return Status::Internal(Errno("cannot write", dir_ + "/" + rel_) + " (check free space)");
      }
      off += static_cast<size_t>(w);
    }
    return Status::Ok();
  }
  Status Close() {
    int rc = ::fsync(fd_);
    ::close(fd_);
    fd_ = -1;
    if (rc != 0) return Status::Internal(Errno("cannot sync", dir_ + "/" + rel_));
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&hash_, h);
    static const char* hex = "0123456789abcdef";
    std::string x;
    for (unsigned char c : h) {
      x += hex[c >> 4];
      x += hex[c & 15];
    }
    files_[rel_] = {{"path", rel_}, {"bytes", bytes_}, {"sha256", x}};
    return Status::Ok();
  }
  Status Put(const std::string& rel, const std::string& content) {
    FG_RETURN_IF_ERROR(Open(rel));
    FG_RETURN_IF_ERROR(Append(content));
    return Close();
  }
  // Path, bytes and SHA-256 of every file written, by path.
  json Files() const {
    json a = json::array();
    for (const auto& [rel, f] : files_) a.push_back(f);
    return a;
  }
  // Writes manifest.json last, syncs the folders; returns the manifest's SHA-256.
  Result<std::string> Finish(const json& manifest) {
    const std::string mtext = manifest.dump(2) + "\n";
    FG_RETURN_IF_ERROR(WriteDurable(dir_ + "/manifest.json", mtext));
    FG_RETURN_IF_ERROR(FsyncDir(dir_ + "/subjects"));
    FG_RETURN_IF_ERROR(FsyncDir(dir_ + "/audit"));
    FG_RETURN_IF_ERROR(FsyncDir(dir_));
    return store::Sha256Hex(mtext);
  }

 private:
  std::string dir_, rel_;
  int fd_ = -1;
  size_t bytes_ = 0;
  crypto_hash_sha256_state hash_;
  std::map<std::string, json> files_;
};

// Writes the tenant's package into `dir` (which must not exist): every
// subject's rights export, purposes, notices, consents, rights requests,
// policies and the audit log with its verification, then manifest.json with
// the SHA-256 of each file. Template vectors are never written (REQ S4).
Status WritePackage(service::Service& svc, const TenantRecord& t, const std::string& dir,
                    const std::string& actor, PackageInfo* info) {
  store::Store& st = svc.store();
  PackageWriter w(dir);
  FG_RETURN_IF_ERROR(w.Begin());
  FG_ASSIGN_OR_RETURN(std::vector<std::string> subjects, st.ListSubjects());
  json index = json::array();
  json consents = json::array();
  int64_t templates = 0;
  for (const std::string& s : subjects) {
    FG_ASSIGN_OR_RETURN(SubjectFile f, st.ReadSubjectFile(s));
    for (const ConsentRecord& c : f.consents) {
      json j = service::ConsentJson(c);
      j["evidence"] = c.evidence;
      consents.push_back(j);
    }
    templates += static_cast<int64_t>(f.templates.size());
    // The person's own access/copy document (REQ R1), as the rights export makes it.
    auto doc = svc.ExportSubject(s, 0, actor);
    if (!doc.ok() && doc.status().kind() == ErrorKind::kNotFound) continue;  // nothing held
    if (!doc.ok()) return doc.status();
    const std::string base = "subjects/" + FileNameOf(s);
    FG_RETURN_IF_ERROR(w.Put(base + ".json", doc->json + "\n"));
    FG_RETURN_IF_ERROR(w.Put(base + ".md", doc->markdown));
    index.push_back({{"subject", s}, {"json", base + ".json"}, {"markdown", base + ".md"},
                     {"consents", f.consents.size()}, {"templates", f.templates.size()}});
    ++info->subjects;
  }
  FG_RETURN_IF_ERROR(w.Put("subjects.json", index.dump(2) + "\n"));
  FG_RETURN_IF_ERROR(w.Put("consents.json", consents.dump(2) + "\n"));
  const size_t consent_count = consents.size();
  consents = json();

  FG_ASSIGN_OR_RETURN(std::vector<PurposeRecord> purposes, svc.ListPurposes());
  json pj = json::array();
  int64_t max_notice = 0;
  for (const PurposeRecord& p : purposes) {
    pj.push_back({{"name", p.name},
                  {"scenario", ToString(p.scenario)},
                  {"retention_days", p.retention_days},
                  {"alternatives", p.alternatives},
                  {"legal_mandate", p.legal_mandate},
                  {"liveness", ToString(p.liveness)},
                  {"created_at", FormatTime(p.created_at)}});
    auto n = st.LatestNotice(p.name);
    if (n.ok()) max_notice = std::max(max_notice, n->id);
  }
  FG_RETURN_IF_ERROR(w.Put("purposes.json", pj.dump(2) + "\n"));
  // Notice ids are one sequence: the newest notice is some purpose's latest,
  // so 1..max covers every version of every purpose.
  json nj = json::array();
  for (int64_t id = 1; id <= max_notice; ++id) {
    auto n = st.GetNotice(id);
    if (!n.ok()) continue;
    nj.push_back({{"id", n->id}, {"purpose", n->purpose}, {"version", n->version}, {"text", n->text},
                  {"sha256", n->sha256}, {"published_at", FormatTime(n->published_at)}});
  }
  FG_RETURN_IF_ERROR(w.Put("notices.json", nj.dump(2) + "\n"));

  FG_ASSIGN_OR_RETURN(std::vector<RightsRequestRecord> reqs, st.ListRightsRequests("", false));
  json rj = json::array();
  for (auto it = reqs.rbegin(); it != reqs.rend(); ++it) rj.push_back(service::RightsRequestJson(*it, Now()));
  FG_RETURN_IF_ERROR(w.Put("rights_requests.json", rj.dump(2) + "\n"));

  auto pol = svc.Policies();
  if (pol.ok()) {
    json po = json::object();
    for (auto& [k, v] : *pol) po[k] = v;
    FG_RETURN_IF_ERROR(w.Put("policies.json", po.dump(2) + "\n"));
  }

  // The return itself is the chain's last event, so the client holds its record.
  AuditEvent ev;
  ev.actor = actor;
  ev.action = "tenant.return";
  ev.outcome = "ok";
  ev.detail = json{{"tenant", t.name}, {"subjects", info->subjects}, {"consents", consent_count},
                   {"templates", templates}, {"law", "PIPL 21"}}
                  .dump();
  FG_RETURN_IF_ERROR(st.AppendAudit(ev).status());
  FG_RETURN_IF_ERROR(w.Open("audit/events.jsonl"));
  int64_t after = 0;
  for (;;) {  // page by page: an audit log of millions of events is never held whole
    FG_ASSIGN_OR_RETURN(std::vector<AuditEvent> page, svc.ListAudit(after, 1000));
    if (page.empty()) break;
    std::string lines;
    for (const AuditEvent& e : page) lines += AuditEventJson(e).dump() + "\n";
    FG_RETURN_IF_ERROR(w.Append(lines));
    after = page.back().seq;
    info->audit_events += static_cast<int64_t>(page.size());
  }
  FG_RETURN_IF_ERROR(w.Close());
  FG_ASSIGN_OR_RETURN(AuditCheck chk, svc.VerifyAudit());
  info->audit_intact = chk.intact;
  FG_RETURN_IF_ERROR(w.Put(
      "audit/verify.json",
      json{{"intact", chk.intact}, {"events", chk.events}, {"first_broken_seq", chk.first_broken_seq},
           {"reason", chk.reason},
           {"how", "each event's hash is the SHA-256 over prev_hash and its fields, length-prefixed "
                   "(docs/architecture.md); recompute it from events.jsonl"}}
              .dump(2) +
          "\n"));

  json manifest = {{"format", kPackageFormat},
                   {"tenant", t.name},
                   {"tenant_created_at", FormatTime(t.created_at)},
                   {"returned_at", FormatTime(Now())},
                   {"law", "PIPL 21: the entrusted party returns or deletes the personal information"},
                   {"subjects", info->subjects},
                   {"consents", consent_count},
                   {"templates", templates},
                   {"templates_note",
                    "face templates are metadata only (id, purpose, model, times); the sealed vectors "
                    "are not returned and are destroyed with the tenant's keys"},
                   {"audit", {{"intact", chk.intact}, {"events", info->audit_events}}},
                   {"files", w.Files()}};
  FG_ASSIGN_OR_RETURN(info->sha256, w.Finish(manifest));
  return Status::Ok();
}

// The tables and functions facegate's PostgreSQL migrations create, read from
// the migrations themselves so a table added later is dropped too.
void FacegateObjects(std::vector<std::string>* tables, std::vector<std::string>* functions) {
  static const std::regex table(R"(CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_]*))",
                                std::regex::icase);
  static const std::regex function(R"(CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+([A-Za-z_][A-Za-z0-9_]*))",
                                   std::regex::icase);
  tables->push_back("schema_migrations");
  tables->push_back("api_keys");  // the REST API keys the nodes share (server/api_keys_postgres.cpp)
  for (const store::Migration& m : store::PostgresMigrations()) {
    const std::string sql = m.sql;
    for (std::sregex_iterator it(sql.begin(), sql.end(), table), e; it != e; ++it)
      tables->push_back((*it)[1]);
    for (std::sregex_iterator it(sql.begin(), sql.end(), function), e; it != e; ++it)
      functions->push_back((*it)[1]);
  }
  std::sort(tables->begin(), tables->end());
  tables->erase(std::unique(tables->begin(), tables->end()), tables->end());
  std::sort(functions->begin(), functions->end());
  functions->erase(std::unique(functions->begin(), functions->end()), functions->end());
}

// PostgreSQL: drops facegate's tables (and trigger functions) from the tenant's
// own database, so its rows (audit chain, anonymised subjects, withdrawn
// consents) go as the SQLite file does. Only a schema facegate made is touched:
// without schema_migrations in the current schema nothing is dropped.
Status DropPostgresTables(const std::string& conninfo, const std::string& label) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  struct Closer {
    PGconn* c;
    ~Closer() { PQfinish(c); }
  } closer{c};
  if (PQstatus(c) != CONNECTION_OK)
    return Status::Internal("cannot connect to " + label + " to drop the tenant's tables: " +
                            PQerrorMessage(c) + "; start the server and run the same tenant end again");
  auto exec = [&](const std::string& sql) -> Status {
    PGresult* r = PQexec(c, sql.c_str());
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    std::string err = ok ? "" : PQresultErrorMessage(r);
    PQclear(r);
    if (!ok) return Status::Internal("dropping the tenant's tables in " + label + ": " + err);
    return Status::Ok();
  };
  PGresult* r = PQexec(c, "SELECT to_regclass('schema_migrations') IS NOT NULL");
  bool facegate = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
                  std::string(PQgetvalue(r, 0, 0)) == "t";
  PQclear(r);
  if (!facegate) return Status::Ok();  // dropped already (a resumed end), or not facegate's
  std::vector<std::string> tables, functions;
  FacegateObjects(&tables, &functions);
  std::string sql = "BEGIN; DROP TABLE IF EXISTS";
  for (size_t i = 0; i < tables.size(); ++i) sql += (i ? ", " : " ") + tables[i];
  sql += " CASCADE;";
  for (const std::string& f : functions) sql += " DROP FUNCTION IF EXISTS " + f + " CASCADE;";
  sql += " COMMIT;";
  return exec(sql);
}

}  // namespace

Status CheckTenantName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 40 && name[0] != '-';
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) ok = false;
  if (!ok)
    return Status::InvalidInput("tenant name " + Quote(name) +
                                " is not allowed: 1 to 40 characters of a-z, 0-9 and '-', not starting "
                                "with '-', e.g. acme or shop-12");
  return Status::Ok();
}

// ---- TenantLease ----

TenantLease::TenantLease(int fd) : fd_(fd) {}
TenantLease::TenantLease(TenantLease&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
TenantLease& TenantLease::operator=(TenantLease&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}
TenantLease::~TenantLease() {
  if (fd_ >= 0) ::close(fd_);
}

// ---- TenantRegistry ----

TenantRegistry::TenantRegistry(service::Config base)
    : base_(std::move(base)), dir_(base_.data_dir + "/tenants") {}

std::string TenantRegistry::HomeOf(const std::string& name) const { return dir_ + "/" + name; }

Status TenantRegistry::Mutate(const std::function<Status(std::vector<TenantRecord>&)>& change) {
  FG_ASSIGN_OR_RETURN(RegistryLock lock, RegistryLock::Take(dir_));
  FG_ASSIGN_OR_RETURN(std::vector<TenantRecord> all, LoadRegistry(dir_));
  FG_RETURN_IF_ERROR(change(all));
  return SaveRegistry(dir_, std::move(all));
}

Result<std::vector<TenantRecord>> TenantRegistry::List() {
  FG_ASSIGN_OR_RETURN(RegistryLock lock, RegistryLock::Take(dir_));
  return LoadRegistry(dir_);
}

Result<TenantRecord> TenantRegistry::Get(const std::string& name) {
  FG_RETURN_IF_ERROR(CheckTenantName(name));
  FG_ASSIGN_OR_RETURN(std::vector<TenantRecord> all, List());
  if (TenantRecord* t = Find(all, name)) return *t;
  std::string names;
  for (const TenantRecord& t : all)
    if (t.state == "active") names += (names.empty() ? "" : ", ") + t.name;
  return Status::NotFound("no tenant " + Quote(name) + " under " + Quote(dir_) + " (active tenants: " +
                          (names.empty() ? "none" : names) + "); create it with: facegate tenant create " +
                          name);
}

Result<TenantRecord> TenantRegistry::Create(const std::string& name, const std::string& database) {
  FG_RETURN_IF_ERROR(CheckTenantName(name));
  if (!database.empty() && !service::IsPostgresConninfo(database))
    return Status::InvalidInput("--db " + Quote(database) +
                                " is not a PostgreSQL conninfo (postgresql://... or host=... dbname=...); "
                                "leave it out for SQLite in the tenant's own home");
  const std::string home = HomeOf(name);
  TenantRecord rec;
  Status st = Mutate([&](std::vector<TenantRecord>& all) -> Status {
    if (TenantRecord* t = Find(all, name)) {
      if (t->state == "ended")
        return Status::Conflict(EndedText(*t) + "; a new tenant needs a new name");
      return Status::Conflict("tenant " + Quote(name) + " exists already (" + t->state + ")");
    }
    if (!database.empty()) {
      const std::string id = DatabaseIdentity(database);
      for (const TenantRecord& t : all)
        if (t.state != "ended" && !t.database.empty() && DatabaseIdentity(t.database) == id)
          return Status::Conflict("tenant " + Quote(t.name) + " already uses " + DatabaseLabel(database) +
                                  ": every tenant needs its own database (REQ S10); create one, e.g. "
                                  "createdb facegate_" + name);
    }
    std::error_code ec;
    if (fs::exists(home, ec))
      return Status::Conflict("the folder " + Quote(home) +
                              " exists but is not a registered tenant; move it away or choose another name");
    if (::mkdir(home.c_str(), 0700) != 0) return Status::Internal(Errno("cannot create", home));
    // Its own database and master key from the first moment (REQ S4, S10).
    service::Config cfg = base_;
    cfg.data_dir = home;
    cfg.database = database;
    auto svc = service::Service::Open(cfg);
    if (!svc.ok()) {
      fs::remove_all(home, ec);
      return svc.status();
    }
    svc->reset();
    auto lease = TakeLeaseFd(home, LOCK_SH);  // makes the lease file
    if (lease.ok()) ::close(*lease);
    rec.name = name;
    rec.created_at = Now();
    rec.state = "active";
    rec.database = database;
    all.push_back(rec);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return rec;
}

Result<std::pair<service::Config, TenantLease>> TenantRegistry::OpenTenant(const std::string& name) {
  FG_ASSIGN_OR_RETURN(TenantRecord t, Get(name));
  if (t.state == "ended") return Status::Refused("S10", EndedText(t));
  if (t.state != "active") return Status::Refused("S10", EndingText(t));
  const std::string home = HomeOf(name);
  std::error_code ec;
  if (!fs::is_directory(home, ec))
    return Status::Integrity("tenant " + Quote(name) + " is active but its home " + Quote(home) +
                             " is missing: restore it from a backup, or record the loss with "
                             "facegate tenant end " + name + " --delete-only --confirm " + name);
  auto fd = TakeLeaseFd(home, LOCK_SH);
  if (!fd.ok()) {
    if (fd.status().kind() == ErrorKind::kConflict)
      return Status::Conflict("tenant " + Quote(name) + " is being ended by another process; try again later");
    return fd.status();
  }
  TenantLease lease(*fd);
  // The state again, under the lease: an end that finished meanwhile is seen.
  FG_ASSIGN_OR_RETURN(TenantRecord now, Get(name));
  if (now.state == "ended") return Status::Refused("S10", EndedText(now));
  if (now.state != "active") return Status::Refused("S10", EndingText(now));
  service::Config cfg = base_;
  cfg.data_dir = home;
  cfg.database = t.database;
  return std::make_pair(std::move(cfg), std::move(lease));
}

Result<TenantCounts> TenantRegistry::Counts(const std::string& name) {
  FG_ASSIGN_OR_RETURN(auto opened, OpenTenant(name));
  FG_ASSIGN_OR_RETURN(std::unique_ptr<service::Service> svc, service::Service::Open(opened.first));
  store::Store& st = svc->store();
  FG_ASSIGN_OR_RETURN(std::vector<std::string> subjects, st.ListSubjects());
  TenantCounts c;
  c.subjects = static_cast<int64_t>(subjects.size());
  const UnixTime now = Now();
  for (const std::string& s : subjects) {
    FG_ASSIGN_OR_RETURN(SubjectFile f, st.ReadSubjectFile(s));
    c.templates += static_cast<int64_t>(f.templates.size());
    c.consents += static_cast<int64_t>(f.consents.size());
    for (const ConsentRecord& r : f.consents)
      if (r.active_at(now)) ++c.active_consents;
  }
  return c;
}

Result<EndReport> TenantRegistry::End(const std::string& name, const EndOptions& o) {
  FG_RETURN_IF_ERROR(CheckTenantName(name));
  if (o.delete_only == !o.return_to.empty())
    return Status::InvalidInput("say how tenant " + Quote(name) + " ends: --return-to DIR (return a package, "
                                "then delete) or --delete-only --confirm " + name + " (delete without return)");
  if (o.delete_only && o.confirm != name)
    return Status::InvalidInput("deleting tenant " + Quote(name) + " without returning its data cannot be "
                                "undone: confirm with --confirm " + name);
  if (!o.delete_only) {
    // Inside <root>/tenants the package would go with this tenant's files or
    // land in another tenant's home: refused (REQ S10).
    std::error_code ec;
    const fs::path to = fs::weakly_canonical(fs::absolute(o.return_to), ec);
    const fs::path rel = to.lexically_relative(fs::weakly_canonical(fs::absolute(dir_), ec));
    if (!rel.empty() && *rel.begin() != "..")
      return Status::InvalidInput("--return-to " + Quote(o.return_to) + " is inside " + Quote(dir_) +
                                  ", where tenants' homes are: give a folder outside it");
  }
  FG_ASSIGN_OR_RETURN(TenantRecord t, Get(name));
  if (t.state == "ended") return Status::Conflict(EndedText(t));
  const std::string mode = o.delete_only ? "delete" : "return";
  // Once something was returned or deleted, an end finishes the way it started;
  // before that (a return that could not be written) the other way may be chosen.
  if (t.state == "ending" && t.end_mode != mode && t.end_step != "started")
    return Status::Conflict("tenant " + Quote(name) + " is being ended with " +
                            (t.end_mode == "delete" ? "--delete-only" : "--return-to") +
                            " already; finish it the same way");
  const std::string home = HomeOf(name);
  std::error_code ec;
  const bool home_exists = fs::exists(home, ec);

  // The exclusive hold: refused while a serve or another command uses the tenant.
  std::optional<TenantLease> hold;
  if (home_exists) {
    auto fd = TakeLeaseFd(home, LOCK_EX);
    if (!fd.ok()) {
      if (fd.status().kind() == ErrorKind::kConflict)
        return Status::Conflict("tenant " + Quote(name) + " is in use: a facegate serve (or another command) "
                                "holds it; stop it first, then end the tenant");
      return fd.status();
    }
    hold.emplace(TenantLease(*fd));
  }
  // REQ S8: a package for a recipient abroad carries everyone's data across the border.
  if (!o.delete_only && !o.return_recipient.empty() && home_exists) {
    service::Config cfg = base_;
    cfg.data_dir = home;
    cfg.database = t.database;
    FG_ASSIGN_OR_RETURN(std::unique_ptr<service::Service> svc, service::Service::Open(cfg));
    FG_RETURN_IF_ERROR(svc->CheckTransferOfEveryone(o.return_recipient, "tenant " + Quote(name) + "'s return package"));
  }

  EndReport rep;
  rep.resumed = t.state == "ending";
  if (rep.resumed && t.end_mode != mode) {
    FG_RETURN_IF_ERROR(Mutate([&](std::vector<TenantRecord>& all) -> Status {
      TenantRecord* r = Find(all, name);
      r->end_mode = mode;
      r->package_path.clear();
      t = *r;
      return Status::Ok();
    }));
  }
  std::string package_dir;
  if (!o.delete_only) {
    package_dir = rep.resumed && !t.package_path.empty()
                      ? t.package_path
                      : (fs::absolute(o.return_to) / ("tenant-" + name)).lexically_normal().string();
  }
  auto step = [&](const std::string& s) -> Status {
    if (o.on_step && !o.on_step(s))
      return Status::Internal("tenant " + Quote(name) + " end stopped after step '" + s +
                              "'; run the same tenant end again to finish");
    return Status::Ok();
  };
  // 1. "ending" first: from here on the tenant never looks active again.
  if (!rep.resumed) {
    if (!o.delete_only && fs::exists(package_dir, ec))
      return Status::Conflict("the package folder " + Quote(package_dir) +
                              " exists already; give another --return-to folder");
    FG_RETURN_IF_ERROR(Mutate([&](std::vector<TenantRecord>& all) -> Status {
      TenantRecord* r = Find(all, name);
      if (!r || r->state != "active") return Status::Conflict("tenant " + Quote(name) + " changed meanwhile");
      r->state = "ending";
      r->end_mode = mode;
      r->end_step = "started";
      r->end_started_at = Now();
      r->package_path = package_dir;
      t = *r;
      return Status::Ok();
    }));
    FG_RETURN_IF_ERROR(step("ending"));
  }

  const std::string master_key = home + "/master.key";
  const bool sqlite = t.database.empty();
  // The store can still be opened only while its key and (SQLite) database exist;
  // opening would otherwise make new, empty ones.
  auto store_intact = [&] {
    return fs::exists(master_key, ec) && (!sqlite || fs::exists(home + "/facegate.db", ec));
  };
  service::Config cfg = base_;
  cfg.data_dir = home;
  cfg.database = t.database;

  // 2. Return: the package, written aside and renamed into place when complete.
  if (!o.delete_only && t.end_step != "returned" && t.end_step != "deleting") {
    if (!store_intact())
      return Status::Integrity("tenant " + Quote(name) + "'s store is incomplete (" + home +
                               "), so its data cannot be returned; end it with --delete-only --confirm " + name);
    const std::string partial = package_dir + ".partial";
    fs::remove_all(partial, ec);
    PackageInfo info;
    if (rep.resumed && fs::exists(package_dir, ec)) {
      // The interrupted run renamed its complete package into place (manifest
      // last, then the rename) but was killed before recording it. The folder
      // did not exist when this end started and is named in the registry.
      std::ifstream in(package_dir + "/manifest.json", std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      json m = json::parse(ss.str(), nullptr, false);
      if (!in || !m.is_object() || m.value("format", "") != kPackageFormat || m.value("tenant", "") != name)
        return Status::Conflict("the package folder " + Quote(package_dir) +
                                " exists but holds no complete package of tenant " + Quote(name) +
                                "; move it away and run the end again");
      info.sha256 = store::Sha256Hex(ss.str());
      info.subjects = m.value("subjects", int64_t{0});
      info.audit_intact = m["audit"].value("intact", false);
      info.audit_events = m["audit"].value("events", int64_t{0});
    } else {
      if (fs::exists(package_dir, ec))
        return Status::Conflict("the package folder " + Quote(package_dir) +
                                " exists already; move it away and run the end again");
      {
        FG_ASSIGN_OR_RETURN(std::unique_ptr<service::Service> svc, service::Service::Open(cfg));
        FG_RETURN_IF_ERROR(WritePackage(*svc, t, partial, o.actor, &info));
      }
      if (::rename(partial.c_str(), package_dir.c_str()) != 0)
        return Status::Internal(Errno("cannot move the package into place at", package_dir));
      FG_RETURN_IF_ERROR(FsyncDir(fs::path(package_dir).parent_path().string()));
    }
    FG_RETURN_IF_ERROR(Mutate([&](std::vector<TenantRecord>& all) -> Status {
      TenantRecord* r = Find(all, name);
      r->end_step = "returned";
      r->package_sha256 = info.sha256;
      t = *r;
      return Status::Ok();
    }));
    rep.subjects_returned = info.subjects;
    rep.audit_intact = info.audit_intact;
    rep.audit_events = info.audit_events;
    FG_RETURN_IF_ERROR(step("returned"));
  } else if (!o.delete_only) {
    // Returned by the interrupted run: the package must still be the one recorded.
    std::ifstream in(package_dir + "/manifest.json", std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    if (!in || store::Sha256Hex(ss.str()) != t.package_sha256)
      return Status::Integrity("the returned package " + Quote(package_dir) +
                               " no longer matches the sha256 recorded (" + t.package_sha256 +
                               "); restore it before the tenant's data is deleted");
    json m = json::parse(ss.str(), nullptr, false);
    if (m.is_object()) {
      rep.subjects_returned = m.value("subjects", int64_t{0});
      rep.audit_intact = m["audit"].value("intact", false);
      rep.audit_events = m["audit"].value("events", int64_t{0});
    }
  }

  // 3. Delete through the Service: consents withdrawn, templates deleted (store
  // and indexes), subject keys destroyed, identities anonymised (REQ S7).
  FG_RETURN_IF_ERROR(Mutate([&](std::vector<TenantRecord>& all) -> Status {
    Find(all, name)->end_step = "deleting";
    return Status::Ok();
  }));
  if (home_exists && store_intact()) {
    FG_ASSIGN_OR_RETURN(std::unique_ptr<service::Service> svc, service::Service::Open(cfg));
    FG_ASSIGN_OR_RETURN(std::vector<std::string> subjects, svc->store().ListSubjects());
    for (const std::string& s : subjects) {
      auto e = svc->EraseSubject(s, 0, o.actor);
      if (!e.ok() && e.status().kind() != ErrorKind::kNotFound) return e.status();
      if (!e.ok()) continue;
      ++rep.subjects_erased;
      rep.templates_deleted += e->templates_deleted;
      rep.consents_withdrawn += e->consents_withdrawn;
      if (e->key_destroyed) ++rep.keys_destroyed;
    }
  }
  FG_RETURN_IF_ERROR(step("erased"));
  if (!sqlite) FG_RETURN_IF_ERROR(DropPostgresTables(t.database, DatabaseLabel(t.database)));

  // 4. The master key: whatever copy of the database survives is unreadable.
  if (fs::exists(master_key, ec)) {
    FG_RETURN_IF_ERROR(ShredFile(master_key));
    rep.removed.push_back("master.key");
    if (home_exists) FG_RETURN_IF_ERROR(FsyncDir(home));
  }
  FG_RETURN_IF_ERROR(step("keys-destroyed"));

  // 5. Every file of the home (database, WAL, API keys), the lease file last.
  if (home_exists) {
    std::vector<fs::path> paths;
    for (auto it = fs::recursive_directory_iterator(home, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec))
      if (it->is_regular_file(ec) && it->path().filename() != kLeaseFile) paths.push_back(it->path());
    for (const fs::path& p : paths) {
      FG_RETURN_IF_ERROR(ShredFile(p.string()));
      rep.removed.push_back(fs::relative(p, home, ec).string());
    }
    fs::remove_all(home, ec);
    if (ec) return Status::Internal("cannot remove " + Quote(home) + ": " + ec.message());
    FG_RETURN_IF_ERROR(FsyncDir(dir_));
  }
  FG_RETURN_IF_ERROR(step("files-removed"));

  // 6. Ended, with how and the package's hash.
  FG_RETURN_IF_ERROR(Mutate([&](std::vector<TenantRecord>& all) -> Status {
    TenantRecord* r = Find(all, name);
    r->state = "ended";
    r->ended_at = Now();
    r->ended_how = o.delete_only ? "deleted" : "returned+deleted";
    r->end_step.clear();
    t = *r;
    return Status::Ok();
  }));
  rep.tenant = t;
  rep.package_path = o.delete_only ? "" : package_dir;
  rep.package_sha256 = t.package_sha256;
  if (!sqlite) rep.database_left = DatabaseLabel(t.database);  // empty now; the database itself stays
  return rep;
}

Result<std::optional<TenantLease>> LeaseIfTenantHome(const std::string& data_dir) {
  fs::path home = fs::path(data_dir).lexically_normal();
  if (home.filename().empty()) home = home.parent_path();
  const fs::path parent = home.parent_path();
  std::error_code ec;
  if (parent.filename() != "tenants" || !fs::exists(parent / kRegistryFile, ec))
    return std::optional<TenantLease>();
  const std::string name = home.filename().string();
  FG_ASSIGN_OR_RETURN(std::vector<TenantRecord> all, LoadRegistry(parent.string()));
  TenantRecord* t = Find(all, name);
  if (!t) return std::optional<TenantLease>();
  if (t->state == "ended") return Status::Refused("S10", EndedText(*t));
  if (t->state != "active") return Status::Refused("S10", EndingText(*t));
  auto fd = TakeLeaseFd(home.string(), LOCK_SH);
  if (!fd.ok()) {
    if (fd.status().kind() == ErrorKind::kConflict)
      return Status::Conflict("tenant " + Quote(name) + " is being ended by another process");
    return fd.status();
  }
  return std::optional<TenantLease>(TenantLease(*fd));
}

}  // namespace facegate::tenants
