// chaos_load: the load driver of deploy/ha/chaos/chaos.sh. It keeps an attestd deployment (a
// front and each replica directly) busy with tenant writes and guest key releases while faults
// are injected, and checks issue 21's invariants (invariants.h). TEST USE ONLY: `seed` writes a
// trusted host straight into the database and releases run on software-TEE evidence that attestd
// trusts only through its `test_roots`.
//
//   chaos_load seed --database postgres:CONNINFO|sqlite:PATH --kek FILE --out FILE
//       a tenant with a credential and a trusted host (software-TEE machine 0) that quoted now;
//       writes {"access_key_id", "secret_access_key"} (0600) to FILE
//   chaos_load run --creds FILE --tee-state FILE --ca FILE --front URL [--replica URL]...
//                  [--stop-file F] [--seconds N] [--label NAME]
//       until F exists (or N seconds, default 60): writers on every target, and guest releases:
//       good ones raced on two targets with one nonce, and ones that must be refused (wrong launch
//       ticket, wrong REPORT_DATA binding, deleted VM, spent nonce). Then every acknowledged write
//       is read back through the front. Prints one JSON line; exit 1 when an invariant broke.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "client/api_client.h"
#include "deploy/ha/chaos/invariants.h"
#include "flags/args.h"
#include "protocol/host_platform.h"
#include "protocol/jwe.h"
#include "service/keys/local_kek.h"
#include "service/store/secret_sealer.h"
#include "service/store/store.h"
#include "tests/testing/software_tee.h"

namespace attest::chaos {
namespace {

namespace st = service::store;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr char kUsage[] =
    "chaos_load seed --database postgres:CONNINFO|sqlite:PATH --kek FILE --out FILE\n"
    "chaos_load run --creds FILE --tee-state FILE --ca FILE --front URL [--replica URL]... "
    "[--stop-file F] [--seconds N] [--label NAME]";
constexpr char kHostPolicy[] = "chaos-hosts";

int Fail(const std::string& why) {
  std::cerr << "chaos_load: " << why << "\n";
  return 2;
}

std::string Unique() { return HexEncode(st::RandomBytes(6)); }

std::string PolicyJson(const std::string& name) {
  return json{
      {"name", name},
      {"snp",
       {{"any_measurement", true}, {"host_data_launch_ticket", true}, {"allow_debug", false}}},
      {"host", {{"host_policy", kHostPolicy}, {"max_quote_age_seconds", 86400}}}}
      .dump();
}

// --- seed ------------------------------------------------------------------------------------

int Seed(const flags::Args& args) {
  auto database = args.Require("database");
  auto kek_file = args.Require("kek");
  auto out = args.Require("out");
  if (!database.ok() || !kek_file.ok() || !out.ok()) {
    return Fail(kUsage);
  }
  auto kek = service::keys::LocalKeyFileKek::FromKeyFile(*kek_file);
  if (!kek.ok()) {
    return Fail(kek.status().ToString());
  }
  auto sealer = std::make_shared<const st::SecretSealer>(
      std::shared_ptr<const service::keys::KeyEncryptionKey>(std::move(kek).value()));
  const bool postgres = database->rfind("postgres:", 0) == 0;
  if (!postgres && database->rfind("sqlite:", 0) != 0) {
    return Fail("--database: postgres:CONNINFO or sqlite:PATH");
  }
  auto store = postgres ? st::OpenPostgresStore(database->substr(9), sealer)
                        : st::OpenSqliteStore(database->substr(7), sealer);
  if (!store.ok()) {
    return Fail(store.status().ToString());
  }
  st::Store& db = **store;
  const TimePoint now = WallClockNow();
  const std::string tag = Unique();
  auto op = db.CreateTenant("chaos-operator-" + tag, st::Role::kOperator, now);
  auto tenant = op.ok() ? db.CreateTenant("chaos-" + tag, st::Role::kTenant, now) : op;
  auto cred =
      tenant.ok() ? db.CreateCredential(tenant->id, now) : Result<st::Credential>(tenant.status());
  if (!cred.ok()) {
    return Fail(cred.status().ToString());
  }
  st::HostRegistration reg;
  reg.ek_public = st::RandomBytes(32);
  reg.ak_public = st::RandomBytes(32);
  reg.host_policy = kHostPolicy;
  reg.activation_sha256 = std::string(64, 'a');
  reg.tees = {"snp"};
  auto platform = protocol::SerializeHostPlatform(testing::SoftwareTee::SimulatedPlatform(0));
  if (!platform.ok()) {
    return Fail(platform.status().ToString());
  }
  reg.platform = *platform;
  auto host = db.RegisterHost(op->id, reg, now);
  if (!host.ok()) {
    return Fail(host.status().ToString());
  }
  // Trusted for a day: the chaos run is about the service's faults, not the host's quotes.
  Status trusted = db.UpdateHostState(op->id, host->id, st::HostState::kTrusted, "{}",
                                      now + std::chrono::hours(24), now);
  if (!trusted.ok()) {
    return Fail(trusted.ToString());
  }
  const std::string doc =
      json{{"access_key_id", cred->access_key_id}, {"secret_access_key", cred->secret_access_key}}
          .dump();
  Status written = WriteNewFile(*out, AsBytes(doc), 0600);
  return written.ok() ? 0 : Fail(written.ToString());
}

// --- run -------------------------------------------------------------------------------------

struct Target {
  std::string name;
  std::string url;
};

// Run holds one driver run: the targets, the credentials, the software TEE and the counters.
class Run {
 public:
  Run(std::vector<Target> targets, std::string ca, sigv4::Credentials creds,
      std::unique_ptr<testing::FakeSnpPlatform> platform, std::string stop_file, int seconds)
      : targets_(std::move(targets)),
        ca_(std::move(ca)),
        creds_(std::move(creds)),
        tee_(std::move(platform)),
        vcek_b64_(Base64Encode(tee_.snp().EndorsementDer())),
        stop_file_(std::move(stop_file)),
        deadline_(Clock::now() + std::chrono::seconds(seconds)) {}

  // Main sets up the good VMs (retrying through outages), runs the workers, checks every
  // acknowledged write, and returns the counters.
  Counters& Main() {
    auto front = Client(targets_[0], true);
    if (!front) {
      ++counters_.unexpected_errors;
      return counters_;
    }
    policy_ = "chaos-" + Unique();
    CallUntil(*front, "PUT", "/v1/policies/" + policy_, PolicyJson(policy_), {200, 201});
    good_ = MakeVm(*front);
    decoy_ = MakeVm(*front);
    std::vector<std::thread> threads;
    for (const Target& t : targets_) {
      threads.emplace_back([this, t] { Writer(t); });
    }
    threads.emplace_back([this] { Releases(); });
    for (auto& t : threads) {
      t.join();
    }
    CheckAcked(*front);
    return counters_;
  }

 private:
  struct VmInfo {
    std::string id;
    Bytes host_data;
  };
  struct Acked {
    std::string path;  // what GET must still find
  };

  bool Stopping() const {
    struct stat st {};
    return Clock::now() >= deadline_ || (!stop_file_.empty() && stat(stop_file_.c_str(), &st) == 0);
  }

  std::unique_ptr<client::ApiClient> Client(const Target& t, bool sign) const {
    client::ClientConfig c;
    c.endpoint = t.url;
    c.ca_cert_file = ca_;
    c.credentials = creds_;
    c.sign = sign;
    c.timeout_seconds = 15;
    auto made = client::ApiClient::Create(c);
    if (!made.ok()) {
      std::cerr << "chaos_load: " << made.status().ToString() << "\n";
      return nullptr;
    }
    return std::move(made).value();
  }

  // CallUntil repeats a setup call through outages (documented errors, transport) for up to a
  // minute; setup must succeed for the run to mean anything.
  json CallUntil(client::ApiClient& c, const std::string& method, const std::string& path,
                 const std::string& body, const std::set<int>& ok) {
    for (int i = 0; i < 120; ++i) {
      auto r = c.Send(method, path, body);
      const Answer a = counters_.Count("setup " + method + " " + path, r, ok);
      if (a == Answer::kExpected) {
        return r->json;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    std::cerr << "chaos_load: setup " << method << " " << path << " never succeeded\n";
    std::exit(2);
  }

  VmInfo MakeVm(client::ApiClient& c) {
    const json vol =
        CallUntil(c, "POST", "/v1/volumes", json{{"name", "chaos-" + Unique()}}.dump(), {201});
    const json vm = CallUntil(
        c, "POST", "/v1/vms",
        json{{"tee", "snp"}, {"policy", policy_}, {"volume_ids", {vol["volume_id"]}}}.dump(),
        {201});
    auto host_data = Base64Decode(vm.value("host_data", ""));
    return {vm.value("vm_id", ""), host_data.ok() ? *host_data : Bytes{}};
  }

  void Ack(const std::string& path) {
    ++counters_.acked;
    std::lock_guard<std::mutex> lock(mu_);
    acked_.push_back({path});
  }

  // Writer creates volumes, policies and VMs with unique names on one target; a 201/200 is an
  // acknowledged write that must survive every fault.
  void Writer(const Target& t) {
    auto c = Client(t, true);
    if (!c) {
      ++counters_.unexpected_errors;
      return;
    }
    for (int i = 0; !Stopping(); ++i) {
      // A steady stream, not a flood: the machine is shared, and the point is correctness.
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      auto vol = c->Send("POST", "/v1/volumes", json{{"name", "chaos-" + Unique()}}.dump());
      if (counters_.Count(t.name + " volume.create", vol, {201}) != Answer::kExpected) {
        Pause();
        continue;
      }
      const std::string volume_id = vol->json.value("volume_id", "");
      Ack("/v1/volumes/" + volume_id);
      if (i % 4 == 0) {
        const std::string name = "chaos-" + Unique();
        auto p = c->Send("PUT", "/v1/policies/" + name, PolicyJson(name));
        if (counters_.Count(t.name + " policy.put", p, {200, 201}) == Answer::kExpected) {
          Ack("/v1/policies/" + name);
        }
      }
      if (i % 2 == 0) {
        auto vm =
            c->Send("POST", "/v1/vms",
                    json{{"tee", "snp"}, {"policy", policy_}, {"volume_ids", {volume_id}}}.dump());
        if (counters_.Count(t.name + " vm.create", vm, {201}) == Answer::kExpected) {
          Ack("/v1/vms/" + vm->json.value("vm_id", ""));
        }
      }
    }
  }

  static void Pause() { std::this_thread::sleep_for(std::chrono::milliseconds(200)); }

  struct Guest {
    std::string private_jwk = protocol::GenerateGuestKey().value();
    std::string public_jwk = protocol::PublicJwk(private_jwk).value();
    protocol::GuestPublicKey key = protocol::ParseGuestJwk(public_jwk).value();
  };

  // AttestBody is POST /v1/attest for vm with nonce: REPORT_DATA bound to bound_key (the guest's
  // own key, or another one for the wrong-binding case), HOST_DATA as given.
  std::string AttestBody(const std::string& vm_id, const std::string& nonce_hex, const Guest& g,
                         const protocol::GuestPublicKey& bound_key, const Bytes& host_data) const {
    auto nonce = HexDecode(nonce_hex);
    const Sha512Digest binding =
        protocol::ReportDataBinding(nonce.ok() ? *nonce : Bytes{}, bound_key);
    const Bytes report = tee_.SnpReport({Bytes(binding.begin(), binding.end()), host_data, false});
    return json{
        {"vm_id", vm_id},
        {"nonce", nonce_hex},
        {"guest_key", json::parse(g.public_jwk)},
        {"evidence", {{"tee", "snp"}, {"report", Base64Encode(report)}, {"vcek", vcek_b64_}}}}
        .dump();
  }

  // Challenge asks target i for a nonce for vm_id; "" when it did not give one.
  std::string Challenge(client::ApiClient& c, const std::string& vm_id, const std::string& what) {
    auto r = c.Send("POST", "/v1/attest/challenge", json{{"vm_id", vm_id}}.dump());
    if (counters_.Count(what + " challenge", r, {201}) != Answer::kExpected) {
      return "";
    }
    return r->json.value("nonce", "");
  }

  static bool Released(const Result<client::ClientResponse>& r) {
    return r.ok() && r->status == 200 && r->json.is_object() && r->json.contains("keys") &&
           !r->json["keys"].empty();
  }

  // MustRefuse sends a request that must never release a key.
  void MustRefuse(client::ApiClient& c, const std::string& what, const std::string& body,
                  const std::set<int>& refusals) {
    ++counters_.wrong_attempts;
    auto r = c.Send("POST", "/v1/attest", body);
    if (Released(r)) {
      ++counters_.wrong_release;
      std::cerr << "chaos_load: WRONG RELEASE (" << what << ")\n";
      return;
    }
    counters_.Count(what, r, refusals);
  }

  // Releases: round after round, a good release raced on two targets with one nonce (then the
  // spent nonce replayed), and the requests that must be refused.
  void Releases() {
    std::vector<std::unique_ptr<client::ApiClient>> guests;
    std::vector<std::unique_ptr<client::ApiClient>> tenants;
    for (const Target& t : targets_) {
      guests.push_back(Client(t, false));
      tenants.push_back(Client(t, true));
      if (!guests.back() || !tenants.back()) {
        ++counters_.unexpected_errors;
        return;
      }
    }
    // Race on two different replicas when there are any (targets 1 and 2), else on the front.
    const size_t n = targets_.size();
    for (size_t round = 0; !Stopping(); ++round) {
      const size_t a = n >= 3 ? 1 + round % 2 : 0;
      const size_t b = n >= 3 ? 1 + (round + 1) % 2 : n - 1;
      const size_t from = round % n;
      GoodRace(guests, a, b, from);
      WrongTicket(*guests[from]);
      WrongBinding(*guests[(from + 1) % n]);
      if (round % 3 == 0) {
        DeletedVm(*tenants[from], *guests[(from + 1) % n]);
      }
    }
  }

  void GoodRace(std::vector<std::unique_ptr<client::ApiClient>>& guests, size_t a, size_t b,
                size_t from) {
    const std::string nonce = Challenge(*guests[from], good_.id, "good");
    if (nonce.empty()) {
      Pause();
      return;
    }
    const Guest g;
    const std::string body = AttestBody(good_.id, nonce, g, g.key, good_.host_data);
    std::optional<Result<client::ClientResponse>> race_a, race_b;
    std::thread ta([&] { race_a.emplace(guests[a]->Send("POST", "/v1/attest", body)); });
    std::thread tb([&] { race_b.emplace(guests[b]->Send("POST", "/v1/attest", body)); });
    ta.join();
    tb.join();
    const Result<client::ClientResponse>& ra = *race_a;
    const Result<client::ClientResponse>& rb = *race_b;
    ++counters_.nonce_races;
    const int wins = (Released(ra) ? 1 : 0) + (Released(rb) ? 1 : 0);
    if (wins > 1) {
      ++counters_.nonce_reuse;
      std::cerr << "chaos_load: NONCE REUSED on " << targets_[a].name << " and " << targets_[b].name
                << "\n";
    }
    // The loser is refused like a spent nonce (403); 200 is a win.
    for (auto* r : {&ra, &rb}) {
      if (!Released(*r)) {
        counters_.Count("good attest", *r, {403});
      } else {
        ++counters_.requests;
      }
    }
    if (wins == 0) {
      if ((ra.ok() && ra->status == 403) && (rb.ok() && rb->status == 403)) {
        ++counters_.good_refused;
      }
      return;
    }
    ++counters_.good_released;
    // The key must open with the guest's key: a release is a real one.
    const auto& won = Released(ra) ? ra : rb;
    auto key = protocol::DecryptFromService(won->json["keys"][0].value("jwe", ""), g.private_jwk);
    if (!key.ok() || key->size() != 32) {
      ++counters_.unexpected_errors;
    }
    // The spent nonce, replayed anywhere, must be refused.
    MustRefuse(*guests[from], "spent nonce", body, {403});
  }

  // WrongTicket: evidence whose HOST_DATA is another VM's launch ticket.
  void WrongTicket(client::ApiClient& c) {
    const std::string nonce = Challenge(c, good_.id, "wrong ticket");
    if (nonce.empty()) {
      return;
    }
    const Guest g;
    MustRefuse(c, "wrong ticket", AttestBody(good_.id, nonce, g, g.key, decoy_.host_data), {403});
  }

  // WrongBinding: REPORT_DATA bound to a key other than the one the request sends.
  void WrongBinding(client::ApiClient& c) {
    const std::string nonce = Challenge(c, good_.id, "wrong binding");
    if (nonce.empty()) {
      return;
    }
    const Guest g, other;
    MustRefuse(c, "wrong binding", AttestBody(good_.id, nonce, g, other.key, good_.host_data),
               {403});
  }

  // DeletedVm: a nonce taken before the VM's DELETE must not release after it.
  void DeletedVm(client::ApiClient& tenant, client::ApiClient& guest) {
    auto vol = tenant.Send("POST", "/v1/volumes", json{{"name", "chaos-" + Unique()}}.dump());
    if (counters_.Count("deleted-vm volume", vol, {201}) != Answer::kExpected) {
      return;
    }
    auto vm = tenant.Send(
        "POST", "/v1/vms",
        json{
            {"tee", "snp"}, {"policy", policy_}, {"volume_ids", {vol->json.value("volume_id", "")}}}
            .dump());
    if (counters_.Count("deleted-vm create", vm, {201}) != Answer::kExpected) {
      return;
    }
    const std::string vm_id = vm->json.value("vm_id", "");
    auto host_data = Base64Decode(vm->json.value("host_data", ""));
    const std::string nonce = Challenge(guest, vm_id, "deleted-vm");
    if (nonce.empty()) {
      return;
    }
    auto del = tenant.Send("DELETE", "/v1/vms/" + vm_id);
    if (counters_.Count("deleted-vm delete", del, {204}) != Answer::kExpected) {
      return;
    }
    const Guest g;
    MustRefuse(guest, "deleted vm",
               AttestBody(vm_id, nonce, g, g.key, host_data.ok() ? *host_data : Bytes{}),
               {403, 404});
  }

  // CheckAcked reads every acknowledged write back through the front (retrying through the
  // tail of an outage, three minutes in all): a 404 is a lost write, one not read by then is
  // unchecked.
  void CheckAcked(client::ApiClient& front) {
    const auto deadline = Clock::now() + std::chrono::minutes(3);
    std::vector<Acked> acked;
    {
      std::lock_guard<std::mutex> lock(mu_);
      acked = acked_;
    }
    for (const Acked& a : acked) {
      bool checked = false;
      while (!checked && Clock::now() < deadline) {
        auto r = front.Send("GET", a.path);
        checked = r.ok() && (r->status == 200 || r->status == 404);
        if (checked && r->status == 404) {
          ++counters_.acked_lost;
          std::cerr << "chaos_load: ACKED WRITE LOST: " << a.path << "\n";
        }
        if (!checked) {
          std::this_thread::sleep_for(std::chrono::milliseconds(500));
        }
      }
      if (!checked) {
        ++counters_.acked_unchecked;
      }
    }
  }

  std::vector<Target> targets_;
  std::string ca_;
  sigv4::Credentials creds_;
  testing::SoftwareTee tee_;
  std::string vcek_b64_;
  std::string stop_file_;
  Clock::time_point deadline_;
  Counters counters_;
  std::string policy_;
  VmInfo good_, decoy_;
  std::mutex mu_;
  std::vector<Acked> acked_;
};

int RunCommand(int argc, char** argv) {
  // --replica repeats, which Args does not do: the replicas are collected first.
  std::vector<Target> targets;
  std::vector<char*> rest = {argv[0], argv[1]};
  for (int i = 2; i < argc; ++i) {
    if (std::string(argv[i]) == "--replica" && i + 1 < argc) {
      targets.push_back({"replica-" + std::to_string(targets.size() + 1), argv[++i]});
    } else {
      rest.push_back(argv[i]);
    }
  }
  auto args = flags::Args::Parse(
      static_cast<int>(rest.size()), rest.data(), 2,
      {{"creds", "tee-state", "ca", "front", "stop-file", "seconds", "label"}, {}});
  if (!args.ok()) {
    return Fail(args.status().ToString() + "\n" + kUsage);
  }
  auto creds_file = args->Require("creds");
  auto state_file = args->Require("tee-state");
  auto ca = args->Require("ca");
  auto front = args->Require("front");
  if (!creds_file.ok() || !state_file.ok() || !ca.ok() || !front.ok()) {
    return Fail(kUsage);
  }
  targets.insert(targets.begin(), {"front", *front});
  int seconds = 60;
  if (auto s = args->Get("seconds")) {
    seconds = std::atoi(s->c_str());
    if (seconds < 1 || seconds > 86400) {
      return Fail("--seconds: 1..86400");
    }
  }
  auto creds_text = ReadFileBytes(*creds_file, 1 << 16);
  auto state_text = ReadFileBytes(*state_file, 1 << 20);
  if (!creds_text.ok() || !state_text.ok()) {
    return Fail("cannot read --creds or --tee-state");
  }
  const json creds = json::parse(creds_text->begin(), creds_text->end(), nullptr, false);
  auto platform = testing::FakeSnpPlatform::Load(
      std::string(state_text->begin(), state_text->end()), snp::Product::kMilan);
  if (!creds.is_object() || platform == nullptr) {
    return Fail("--creds or --tee-state is not what seed / software-tee init wrote");
  }
  Run run(targets, *ca,
          {creds.value("access_key_id", ""), creds.value("secret_access_key", ""), ""},
          std::move(platform), args->Get("stop-file").value_or(""), seconds);
  const auto start = Clock::now();
  Counters& c = run.Main();
  json out = c.ToJson();
  out["label"] = args->Get("label").value_or("chaos");
  out["seconds"] = std::chrono::duration<double>(Clock::now() - start).count();
  out["ok"] = !c.Broken();
  std::cout << out.dump() << std::endl;
  return c.Broken() ? 1 : 0;
}

int Main(int argc, char** argv) {
  if (argc < 2) {
    return Fail(kUsage);
  }
  const std::string verb = argv[1];
  if (verb == "seed") {
    auto args = flags::Args::Parse(argc, argv, 2, {{"database", "kek", "out"}, {}});
    return args.ok() ? Seed(*args) : Fail(args.status().ToString() + "\n" + kUsage);
  }
  if (verb == "run") {
    return RunCommand(argc, argv);
  }
  return Fail(kUsage);
}

}  // namespace
}  // namespace attest::chaos

int main(int argc, char** argv) {
  try {
    return attest::chaos::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "chaos_load: internal error: %s\n", e.what());
  }
  return 70;  // EX_SOFTWARE
}
