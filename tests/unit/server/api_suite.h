// What the REST test suites share: one real Service on a temporary data directory (the pinned
// models, an optional clock), its API key store, keys of each role, and a server on an
// ephemeral 127.0.0.1 port.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>
#include <sodium.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server/server.h"

namespace facegate::server::testing {

struct ApiSuite {
  std::filesystem::path dir;
  service::Service* svc = nullptr;
  ApiKeyStore* keys = nullptr;
  Server* server = nullptr;

  // Opens the Service (with `clock` when given) and key store in a fresh directory named
  // after `tag`, and starts a server with `sc` (its port is set to 0). Fails the test on error.
  void Open(const std::string& tag, ServerConfig sc, std::function<UnixTime()> clock = {}) {
    ASSERT_GE(sodium_init(), 0);
    dir = std::filesystem::temp_directory_path() / ("facegate-" + tag + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    service::Config cfg;
    cfg.data_dir = dir.string();
    cfg.model_dir = FACEGATE_MODELS;
    cfg.lock_file = FACEGATE_LOCK;
    cfg.clock = std::move(clock);
    auto s = service::Service::Open(cfg);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    svc = std::move(s).value().release();
    auto k = ApiKeyStore::Open(dir.string() + "/apikeys.db");
    ASSERT_TRUE(k.ok()) << k.status().ToString();
    keys = std::move(k).value().release();
    sc.port = 0;
    auto srv = Server::Create(*svc, *keys, sc);
    ASSERT_TRUE(srv.ok()) << srv.status().ToString();
    server = std::move(srv).value().release();
    ASSERT_TRUE(server->Start().ok());
  }
  // A key of `role` (device keys: their device and purposes).
  CreatedKey Key(Role role, const std::string& device = "", const std::vector<std::string>& purposes = {}) {
    auto c = keys->Create(role, device, purposes, 1'700'000'000);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? *c : CreatedKey{};
  }
  void Close() {
    delete server;
    delete keys;
    delete svc;
    server = nullptr;
    keys = nullptr;
    svc = nullptr;
    std::filesystem::remove_all(dir);
  }
};

// Collects the server's log lines (ServerConfig::log).
struct LogSink {
  std::mutex mu;
  std::vector<std::string> lines;
  std::function<void(const std::string&)> Fn() {
    return [this](const std::string& l) {
      std::lock_guard<std::mutex> lock(mu);
      lines.push_back(l);
    };
  }
  std::vector<std::string> Copy() {
    std::lock_guard<std::mutex> lock(mu);
    return lines;
  }
  std::string All() {
    std::string s;
    for (auto& l : Copy()) s += l + "\n";
    return s;
  }
};

inline httplib::Headers Auth(const CreatedKey& k) { return {{"Authorization", "Bearer " + k.secret}}; }

inline nlohmann::json Body(const httplib::Result& r) {
  return r ? nlohmann::json::parse(r->body, nullptr, false) : nlohmann::json();
}

}  // namespace facegate::server::testing
