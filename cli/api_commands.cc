#include "cli/api_commands.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "attest/core/file_io.h"
#include "cli/verify_output.h"
#include "client/api_client.h"
#include "client/aws_credentials.h"
#include "flags/args.h"
#include "sigv4/canonical.h"

namespace attest::cli {

using flags::Args;
using flags::FlagSpec;

namespace {

enum class Body {
  kNone,
  kFile,        // the last positional argument names a file sent as the body
  kNameJson,    // {"name": <first positional>}
  kVolume,      // {"name": <first positional>, "size_bytes"?: --size}
  kVm,          // {"tee": --tee, "policy": --policy, "volume_ids": --volume split at commas}
  kEnrollment,  // {"host_policy": --host-policy, "tees"?, "libvirt_uri"?, "expires_in_seconds"?}
  kWebhook,  // {"url": --url, "events": --events split at commas, "secret": --secret-file's text}
  // boot-image put: --kernel and --initrd files streamed to .../kernel and .../initrd, then the
  // commit {"cmdline"?: --cmdline, "kernel_sha256", "initrd_sha256"?} with the uploads' digests
  kBootImage,
};

struct ApiCommand {
  std::string_view group, name, summary;
  std::string_view method;
  std::string_view path;  // "{0}", "{1}": positional arguments, in order
  std::vector<std::string_view> positional;
  Body body = Body::kNone;
  std::vector<std::string_view> query_flags;  // --flag VALUE -> ?flag=VALUE
  std::vector<std::string_view> body_flags;   // --flag VALUE read by the body builder
};

const std::vector<ApiCommand>& Commands() {
  static const auto* commands = new std::vector<ApiCommand>{
      {"policy",
       "put",
       "upload a tenant policy (a new version)",
       "PUT",
       "/v1/policies/{0}",
       {"NAME", "FILE"},
       Body::kFile},
      {"policy",
       "get",
       "show a tenant policy (newest, or --version N)",
       "GET",
       "/v1/policies/{0}",
       {"NAME"},
       Body::kNone,
       {"version"}},
      {"policy", "list", "list the tenant's policies", "GET", "/v1/policies", {}},
      {"policy", "delete", "delete a tenant policy", "DELETE", "/v1/policies/{0}", {"NAME"}},
      {"policy",
       "revoke",
       "revoke one version of a tenant policy: no key release to VMs pinned to it",
       "POST",
       "/v1/policies/{0}/versions/{1}/revoke",
       {"NAME", "VERSION"}},
      {"host-policy",
       "put",
       "upload a host policy (operator)",
       "PUT",
       "/v1/host-policies/{0}",
       {"NAME", "FILE"},
       Body::kFile},
      {"host-policy",
       "get",
       "show a host policy (operator)",
       "GET",
       "/v1/host-policies/{0}",
       {"NAME"},
       Body::kNone,
       {"version"}},
      {"host-policy", "list", "list host policies (operator)", "GET", "/v1/host-policies", {}},
      {"host-policy",
       "delete",
       "delete a host policy (operator)",
       "DELETE",
       "/v1/host-policies/{0}",
       {"NAME"}},
      {"tenant",
       "create",
       "create a tenant and its first credentials (operator)",
       "POST",
       "/v1/tenants",
       {"NAME"},
       Body::kNameJson},
      {"host", "list", "list enrolled hosts (operator)", "GET", "/v1/hosts", {}},
      {"host enrollment",
       "create",
       "a one-time token a host enrolls with (operator)",
       "POST",
       "/v1/host-enrollments",
       {},
       Body::kEnrollment,
       {},
       {"host-policy", "tees", "libvirt-uri", "expires-in"}},
      {"host",
       "delete",
       "revoke a host at once: its credential, and key release for its VMs (operator)",
       "DELETE",
       "/v1/hosts/{0}",
       {"HOST_ID"}},
      {"host",
       "get",
       "show a host's state and last appraisal (operator)",
       "GET",
       "/v1/hosts/{0}",
       {"HOST_ID"}},
      {"collateral",
       "import",
       "import a DCAP collateral bundle or an exported cache, verified first (operator)",
       "POST",
       "/v1/collateral",
       {"FILE"},
       Body::kFile},
      {"collateral",
       "export",
       "print the shared collateral cache as one bundle for another site (operator)",
       "GET",
       "/v1/collateral",
       {}},
      {"security-group",
       "put",
       "create or replace a security group from a JSON file",
       "PUT",
       "/v1/security-groups/{0}",
       {"NAME", "FILE"},
       Body::kFile},
      {"security-group",
       "get",
       "show a security group and its nwfilter name",
       "GET",
       "/v1/security-groups/{0}",
       {"NAME"}},
      {"security-group",
       "list",
       "list the tenant's security groups",
       "GET",
       "/v1/security-groups",
       {}},
      {"security-group",
       "delete",
       "delete a security group",
       "DELETE",
       "/v1/security-groups/{0}",
       {"NAME"}},
      {"net",
       "put",
       "create or replace a private network from a JSON file",
       "PUT",
       "/v1/nets/{0}",
       {"NAME", "FILE"},
       Body::kFile},
      {"net",
       "get",
       "show a net and its libvirt network/bridge names",
       "GET",
       "/v1/nets/{0}",
       {"NAME"}},
      {"net", "list", "list the tenant's nets", "GET", "/v1/nets", {}},
      {"net", "delete", "delete a net", "DELETE", "/v1/nets/{0}", {"NAME"}},
      {"volume",
       "create",
       "create a volume key (and, with --size BYTES, a LUKS2 image of that size)",
       "POST",
       "/v1/volumes",
       {"NAME"},
       Body::kVolume,
       {},
       {"size"}},
      {"boot-image",
       "put",
       "upload and commit a boot image: --kernel FILE [--initrd FILE] [--cmdline TEXT]",
       "PUT",
       "/v1/boot-images/{0}",
       {"NAME"},
       Body::kBootImage,
       {},
       {"kernel", "initrd", "cmdline"}},
      {"boot-image",
       "get",
       "show a boot image's digests, sizes and cmdline",
       "GET",
       "/v1/boot-images/{0}",
       {"NAME"}},
      {"boot-image", "list", "list the tenant's boot images", "GET", "/v1/boot-images", {}},
      {"boot-image",
       "delete",
       "delete a boot image and its files",
       "DELETE",
       "/v1/boot-images/{0}",
       {"NAME"}},
      {"volume", "get", "show a volume (never its key)", "GET", "/v1/volumes/{0}", {"VOLUME_ID"}},
      {"volume", "list", "list the tenant's volumes", "GET", "/v1/volumes", {}},
      {"volume",
       "delete",
       "delete a volume: its key is destroyed (crypto-shredding)",
       "DELETE",
       "/v1/volumes/{0}",
       {"VOLUME_ID"}},
      {"vm",
       "create",
       "create a VM record and its launch ticket: --tee snp|tdx --policy NAME --volume "
       "ID[,ID...]; to also start it on the placed host: --launch yes and/or --memory-mib N "
       "--vcpus N --net NAME[,NAME...] --security-group NAME[,NAME...]",
       "POST",
       "/v1/vms",
       {},
       Body::kVm,
       {},
       {"tee", "policy", "volume", "launch", "memory-mib", "vcpus", "net", "security-group"}},
      {"vm",
       "get",
       "show a VM record, its ticket digests and host trust",
       "GET",
       "/v1/vms/{0}",
       {"VM_ID"}},
      {"vm", "list", "list the tenant's live VM records", "GET", "/v1/vms", {}},
      {"vm",
       "delete",
       "delete a VM record: no key is released for it again",
       "DELETE",
       "/v1/vms/{0}",
       {"VM_ID"}},
      {"webhook",
       "put",
       "create or replace a webhook: --url https://... --events EVENT[,EVENT...] --secret-file "
       "FILE (the HMAC key; never shown again)",
       "PUT",
       "/v1/webhooks/{0}",
       {"NAME"},
       Body::kWebhook,
       {},
       {"url", "events", "secret-file"}},
      {"webhook", "get", "show a webhook (never its secret)", "GET", "/v1/webhooks/{0}", {"NAME"}},
      {"webhook", "list", "list the caller's webhooks", "GET", "/v1/webhooks", {}},
      {"webhook", "delete", "delete a webhook", "DELETE", "/v1/webhooks/{0}", {"NAME"}},
      {"webhook",
       "deliveries",
       "show a webhook's newest deliveries: pending, delivered or failed, and why",
       "GET",
       "/v1/webhooks/{0}/deliveries",
       {"NAME"}},
      {"audit",
       "list",
       "list the caller's audit log entries",
       "GET",
       "/v1/audit",
       {},
       Body::kNone,
       {"after", "limit"}},
  };
  return *commands;
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

// SplitList reads a comma-separated --flag value ("" = absent: an empty list).
Result<std::vector<std::string>> SplitList(const Args& args, const std::string& flag) {
  std::vector<std::string> items;
  if (auto list = args.Get(flag)) {
    size_t start = 0;
    while (start <= list->size()) {
      const size_t comma = std::min(list->find(',', start), list->size());
      if (comma == start) {
        return Status(reasons::kCliUsage, "--" + flag + ": an empty item");
      }
      items.push_back(list->substr(start, comma - start));
      start = comma + 1;
    }
  }
  return items;
}

Result<uint64_t> Count(const std::string& flag, const std::string& value) {
  // Digits only: the server checks the range; stoull would accept "-1" and " 1".
  if (value.empty() || value.size() > 19 ||
      value.find_first_not_of("0123456789") != std::string::npos) {
    return Status(reasons::kCliUsage, "--" + flag + " wants a number");
  }
  return std::stoull(value);
}

Result<std::string> VolumeBody(const Args& args) {
  nlohmann::json body = {{"name", args.positional()[0]}};
  if (auto size = args.Get("size")) {
    ATTEST_ASSIGN_OR_RETURN(body["size_bytes"], Count("size", *size));
  }
  return body.dump();
}

Result<std::string> VmBody(const Args& args) {
  ATTEST_ASSIGN_OR_RETURN(std::string tee, args.Require("tee"));
  ATTEST_ASSIGN_OR_RETURN(std::string policy, args.Require("policy"));
  ATTEST_ASSIGN_OR_RETURN(std::vector<std::string> volumes, SplitList(args, "volume"));
  nlohmann::json body = {{"tee", tee}, {"policy", policy}, {"volume_ids", volumes}};
  // Any launch flag asks attestd to start the VM on the placed host, not only to record it.
  nlohmann::json launch = nlohmann::json::object();
  for (const char* flag : {"memory-mib", "vcpus"}) {
    if (auto v = args.Get(flag)) {
      ATTEST_ASSIGN_OR_RETURN(uint64_t n, Count(flag, *v));
      launch[std::string(flag) == "vcpus" ? "vcpus" : "memory_mib"] = n;
    }
  }
  ATTEST_ASSIGN_OR_RETURN(std::vector<std::string> nets, SplitList(args, "net"));
  ATTEST_ASSIGN_OR_RETURN(std::vector<std::string> groups, SplitList(args, "security-group"));
  if (!nets.empty()) {
    launch["nets"] = nets;
  }
  if (!groups.empty()) {
    launch["security_groups"] = groups;
  }
  if (!launch.empty() || args.Get("launch")) {
    body["launch"] = launch;
  }
  return body.dump();
}

Result<std::string> EnrollmentBody(const Args& args) {
  ATTEST_ASSIGN_OR_RETURN(std::string policy, args.Require("host-policy"));
  nlohmann::json body = {{"host_policy", policy}};
  ATTEST_ASSIGN_OR_RETURN(std::vector<std::string> tees, SplitList(args, "tees"));
  if (!tees.empty()) {
    body["tees"] = tees;
  }
  if (auto uri = args.Get("libvirt-uri")) {
    body["libvirt_uri"] = *uri;
  }
  if (auto expires = args.Get("expires-in")) {
    ATTEST_ASSIGN_OR_RETURN(body["expires_in_seconds"], Count("expires-in", *expires));
  }
  return body.dump();
}

// WebhookBody reads the secret from a file, never from the command line (which other users of
// the machine can read in /proc); one trailing newline is not part of it.
Result<std::string> WebhookBody(const Args& args) {
  ATTEST_ASSIGN_OR_RETURN(std::string url, args.Require("url"));
  ATTEST_ASSIGN_OR_RETURN(std::vector<std::string> events, SplitList(args, "events"));
  ATTEST_ASSIGN_OR_RETURN(std::string secret_file, args.Require("secret-file"));
  ATTEST_ASSIGN_OR_RETURN(Bytes secret, ReadFileBytes(secret_file, 4096));
  std::string text(secret.begin(), secret.end());
  if (!text.empty() && text.back() == '\n') {
    text.pop_back();
  }
  return nlohmann::json{{"url", url}, {"events", events}, {"secret", text}}.dump();
}

// PutBootImage streams the kernel (and initrd) to the image's upload routes, then commits them
// by the digests attestd answered with. Every step's answer is printed as it comes; the first
// refusal stops (staged uploads stay until a commit or a delete of the name).
Result<client::ClientResponse> PutBootImage(client::ApiClient& api, const std::string& path,
                                            const Args& args) {
  nlohmann::json commit = nlohmann::json::object();
  for (const char* part : {"kernel", "initrd"}) {
    const std::optional<std::string> file = args.Get(part);
    if (!file) {
      continue;
    }
    ATTEST_ASSIGN_OR_RETURN(client::ClientResponse r,
                            api.SendFile("PUT", path + "/" + part, *file));
    if (r.status != 201 || !r.json.is_object() || !r.json.contains("sha256")) {
      return r;
    }
    commit[std::string(part) + "_sha256"] = r.json["sha256"];
  }
  if (const std::optional<std::string> cmdline = args.Get("cmdline")) {
    commit["cmdline"] = *cmdline;
  }
  return api.Send("PUT", path, commit.dump());
}

int Usage(const ApiCommand& c, const std::string& why) {
  std::cerr << "attestctl: " << why << "\nusage: attestctl [--endpoint URL] [--profile NAME] "
            << "[--ca-cert FILE] " << c.group << " " << c.name;
  for (std::string_view p : c.positional) {
    std::cerr << " " << p;
  }
  for (std::string_view q : c.query_flags) {
    std::cerr << " [--" << q << " VALUE]";
  }
  for (std::string_view q : c.body_flags) {
    std::cerr << " [--" << q << " VALUE]";
  }
  std::cerr << "\n";
  return kExitUsage;
}

int Run(const ClientFlags& flags, const ApiCommand& c, int argc, char** argv, int first) {
  FlagSpec spec;
  for (std::string_view q : c.query_flags) {
    spec.with_value.insert(std::string(q));
  }
  for (std::string_view q : c.body_flags) {
    spec.with_value.insert(std::string(q));
  }
  Result<Args> args = Args::Parse(argc, argv, first, spec);
  if (!args.ok()) {
    return Usage(c, args.status().message());
  }
  if (args->positional().size() != c.positional.size()) {
    return Usage(c, "expected " + std::to_string(c.positional.size()) + " argument(s)");
  }
  std::string path(c.path);
  for (size_t i = 0; i < c.positional.size(); ++i) {
    const std::string slot = "{" + std::to_string(i) + "}";
    if (size_t at = path.find(slot); at != std::string::npos) {
      path.replace(at, slot.size(), args->positional()[i]);
    }
  }
  // Query parameters in sorted order, so any SigV4 implementation agrees on the canonical form.
  std::vector<std::string> query_flags(c.query_flags.begin(), c.query_flags.end());
  std::sort(query_flags.begin(), query_flags.end());
  std::string query;
  for (const std::string& q : query_flags) {
    if (auto v = args->Get(q)) {
      query += (query.empty() ? "?" : "&") + q + "=" + sigv4::UriEncode(*v, /*keep_slash=*/false);
    }
  }
  std::string body;
  if (c.body == Body::kFile) {
    Result<Bytes> file = ReadFileBytes(args->positional().back(), 8u << 20);
    if (!file.ok()) {
      return Usage(c, file.status().message());
    }
    body.assign(file->begin(), file->end());
  } else if (c.body == Body::kNameJson) {
    body = nlohmann::json{{"name", args->positional()[0]}}.dump();
  } else if (c.body == Body::kVolume || c.body == Body::kVm || c.body == Body::kEnrollment ||
             c.body == Body::kWebhook) {
    Result<std::string> built = c.body == Body::kVolume       ? VolumeBody(*args)
                                : c.body == Body::kVm         ? VmBody(*args)
                                : c.body == Body::kEnrollment ? EnrollmentBody(*args)
                                                              : WebhookBody(*args);
    if (!built.ok()) {
      return Usage(c, built.status().message());
    }
    body = *built;
  }

  if (c.body == Body::kBootImage && !args->Get("kernel")) {
    return Usage(c, "--kernel FILE is required");
  }

  client::ClientConfig config;
  config.endpoint = !flags.endpoint.empty()            ? flags.endpoint
                    : !Env("ATTESTD_ENDPOINT").empty() ? Env("ATTESTD_ENDPOINT")
                                                       : "https://127.0.0.1:8443";
  config.ca_cert_file = !flags.ca_cert.empty() ? flags.ca_cert : Env("ATTESTD_CA_CERT");
  Result<sigv4::Credentials> creds = client::LoadAwsCredentials({flags.profile, "", true});
  if (!creds.ok()) {
    std::cerr << "attestctl: " << creds.status().message() << "\n";
    return kExitUsage;
  }
  config.credentials = *creds;
  Result<std::unique_ptr<client::ApiClient>> client = client::ApiClient::Create(config);
  if (!client.ok()) {
    std::cerr << "attestctl: " << client.status().message() << "\n";
    return kExitUsage;
  }
  Result<client::ClientResponse> r =
      c.body == Body::kBootImage ? PutBootImage(**client, path, *args)
                                 : (*client)->Send(std::string(c.method), path + query, body);
  if (!r.ok()) {
    std::cerr << "attestctl: " << r.status().message() << "\n";
    return kExitUsage;
  }
  const bool success = r->status >= 200 && r->status < 300;
  std::ostream& out = success ? std::cout : std::cerr;
  if (!r->json.is_null()) {
    out << r->json.dump(2) << "\n";
  } else if (!r->body.empty()) {
    out << r->body << "\n";
  }
  if (!success) {
    std::cerr << "attestctl: HTTP " << r->status << "\n";
  }
  return success ? kExitAccepted : kExitRejected;
}

}  // namespace

bool TakeClientFlags(int argc, char** argv, int* index, ClientFlags* flags) {
  while (*index < argc) {
    std::string arg = argv[*index];
    std::string* target = nullptr;
    std::string name;
    for (auto [flag, field] :
         {std::pair{"--endpoint", &flags->endpoint}, std::pair{"--profile", &flags->profile},
          std::pair{"--ca-cert", &flags->ca_cert}}) {
      if (arg == flag || arg.rfind(std::string(flag) + "=", 0) == 0) {
        target = field;
        name = flag;
      }
    }
    if (target == nullptr) {
      return true;
    }
    if (arg.size() > name.size()) {
      *target = arg.substr(name.size() + 1);
      *index += 1;
    } else if (*index + 1 < argc) {
      *target = argv[*index + 1];
      *index += 2;
    } else {
      std::cerr << "attestctl: " << name << " needs a value\n";
      return false;
    }
  }
  return true;
}

std::vector<ApiCommandInfo> ApiCommandList() {
  std::vector<ApiCommandInfo> out;
  for (const ApiCommand& c : Commands()) {
    out.push_back({c.group, c.name, c.summary});
  }
  return out;
}

int RunApiCommand(const ClientFlags& flags, std::string_view group, std::string_view name, int argc,
                  char** argv, int first) {
  // "host enrollment create": a group of two words.
  std::string joined;
  if (group == "host" && name == "enrollment" && first < argc) {
    joined = "host enrollment";
    group = joined;
    name = argv[first];
    ++first;
  }
  for (const ApiCommand& c : Commands()) {
    if (c.group == group && c.name == name) {
      return Run(flags, c, argc, argv, first);
    }
  }
  return -1;
}

}  // namespace attest::cli
