// attestctl sigv4 sign: signs a raw HTTP request file with AWS Signature Version 4 and prints the
// canonical request, string to sign, signature and Authorization header (or presigned query), so
// a client's signing can be compared with the server's step by step.
#include <charconv>
#include <iostream>
#include <nlohmann/json.hpp>

#include "attest/core/file_io.h"
#include "cli/commands.h"
#include "cli/verify_output.h"
#include "flags/args.h"
#include "sigv4/canonical.h"
#include "sigv4/request_file.h"
#include "sigv4/signer.h"

namespace attest::cli {

using flags::Args;
using flags::FlagSpec;

namespace {

constexpr char kUsage[] =
    "attestctl sigv4 sign --request FILE --access-key ID --secret KEY [--token T] --region R "
    "--service S --time YYYYMMDDTHHMMSSZ [--no-normalize-path] [--sign-body] "
    "[--query --expires SECONDS] [--json]";

}  // namespace

int RunSigv4Sign(int argc, char** argv, int first) {
  const FlagSpec spec{
      {"request", "access-key", "secret", "token", "region", "service", "time", "expires"},
      {"no-normalize-path", "sign-body", "query", "json"}};
  auto args = Args::Parse(argc, argv, first, spec);
  if (!args.ok()) {
    return PrintUsageError(args.status(), kUsage);
  }
  std::string values[6];
  const char* required[6] = {"request", "access-key", "secret", "region", "service", "time"};
  for (int i = 0; i < 6; ++i) {
    auto v = args->Require(required[i]);
    if (!v.ok()) {
      return PrintUsageError(v.status(), kUsage);
    }
    values[i] = *v;
  }
  auto time = sigv4::ParseAmzDate(values[5]);
  if (!time.ok()) {
    return PrintUsageError(time.status(), kUsage);
  }

  sigv4::SignOptions opts;
  opts.region = values[3];
  opts.service = values[4];
  opts.time = *time;
  opts.normalize_path = !args->Has("no-normalize-path");
  opts.double_encode_path = opts.normalize_path;
  opts.sign_body = args->Has("sign-body");
  if (args->Has("query")) {
    opts.location = sigv4::SignatureLocation::kQuery;
    const std::string expires = args->Get("expires").value_or("3600");
    const auto [end, ec] =
        std::from_chars(expires.data(), expires.data() + expires.size(), opts.expires_seconds);
    if (ec != std::errc() || end != expires.data() + expires.size()) {
      return PrintUsageError(Status(reasons::kCliUsage, "--expires must be a number of seconds"),
                             kUsage);
    }
  } else if (args->Get("expires").has_value()) {
    return PrintUsageError(Status(reasons::kCliUsage, "--expires needs --query"), kUsage);
  }

  auto file = ReadFileBytes(values[0], sigv4::kMaxRequestFileBytes);
  if (!file.ok()) {
    return PrintUsageError(file.status(), "");
  }
  auto req = sigv4::ParseRequestFile(
      std::string_view(reinterpret_cast<const char*>(file->data()), file->size()));
  if (!req.ok()) {
    return PrintUsageError(req.status(), "");
  }
  const sigv4::Credentials creds{values[1], values[2], args->Get("token").value_or("")};
  auto signed_req = sigv4::SignRequest(*req, creds, opts);
  if (!signed_req.ok()) {
    return PrintUsageError(signed_req.status(), kUsage);
  }

  const bool query = opts.location == sigv4::SignatureLocation::kQuery;
  const std::string& auth = query ? signed_req->presigned_query : signed_req->authorization;
  if (args->Has("json")) {
    nlohmann::json out = {{"canonical_request", signed_req->canonical_request},
                          {"string_to_sign", signed_req->string_to_sign},
                          {"signature", signed_req->signature},
                          {"authorization", auth}};
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << "canonical request:\n"
              << signed_req->canonical_request << "\n\n"
              << "string to sign:\n"
              << signed_req->string_to_sign << "\n\n"
              << "signature: " << signed_req->signature << "\n"
              << (query ? "presigned query: " : "authorization: ") << auth << "\n";
  }
  return kExitAccepted;
}

}  // namespace attest::cli
