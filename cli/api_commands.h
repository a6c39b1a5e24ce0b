// attestctl's API client commands: each is one signed call to attestd, described by a table row
// (api_commands.cc). Global flags before the command choose the server and the credentials:
//   attestctl [--endpoint URL] [--profile NAME] [--ca-cert FILE] policy put NAME FILE
// Defaults: $ATTESTD_ENDPOINT or https://127.0.0.1:8443, $ATTESTD_CA_CERT, and the AWS CLI's
// credential lookup (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, else ~/.aws/credentials profile).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace attest::cli {

struct ClientFlags {
  std::string endpoint;
  std::string profile;
  std::string ca_cert;
};

// TakeClientFlags consumes leading global flags from argv starting at *index.
// Returns false (and prints why) on a malformed one.
bool TakeClientFlags(int argc, char** argv, int* index, ClientFlags* flags);

struct ApiCommandInfo {
  std::string_view group;
  std::string_view name;
  std::string_view summary;
};

// ApiCommandList lists the client commands for the usage text.
std::vector<ApiCommandInfo> ApiCommandList();

// RunApiCommand runs group/name if it is a client command; returns -1 when it is not one.
// Exit codes: 0 success (the JSON answer on stdout), 1 the server refused (its error on stderr),
// 2 usage, credentials or transport errors.
int RunApiCommand(const ClientFlags& flags, std::string_view group, std::string_view name, int argc,
                  char** argv, int first);

}  // namespace attest::cli
