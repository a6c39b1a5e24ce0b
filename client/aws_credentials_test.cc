#include "client/aws_credentials.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace attest::client {
namespace {

constexpr const char* kFile = R"(# comment
[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = secretdefault

[ops]
aws_access_key_id=AKIDOPS
  aws_secret_access_key =  s/e+c=ret  
aws_session_token = tok
[broken]
aws_access_key_id = AKIDBROKEN
)";

TEST(AwsCredentialsTest, ReadsProfiles) {
  auto c = ParseCredentialsFile(kFile, "default");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "AKIDDEFAULT");
  EXPECT_EQ(c->secret_access_key, "secretdefault");
  EXPECT_EQ(c->session_token, "");
  c = ParseCredentialsFile(kFile, "ops");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->secret_access_key, "s/e+c=ret");
  EXPECT_EQ(c->session_token, "tok");
}

TEST(AwsCredentialsTest, RefusesMissingOrIncompleteProfiles) {
  for (const char* profile : {"nope", "broken", ""}) {
    SCOPED_TRACE(profile);
    auto c = ParseCredentialsFile(kFile, profile);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.status().reason_id(), "client.no_credentials");
  }
  EXPECT_FALSE(ParseCredentialsFile("[default\naws_access_key_id=x\n", "default").ok());
}

TEST(AwsCredentialsTest, EnvironmentWinsWithoutAnExplicitProfile) {
  const auto path = std::filesystem::temp_directory_path() / "attest-aws-credentials-test";
  std::ofstream(path) << kFile;
  setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "secretenv", 1);
  auto c = LoadAwsCredentials({"", path.string(), true});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "AKIDENV");
  c = LoadAwsCredentials({"ops", path.string(), true});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "AKIDOPS");
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  c = LoadAwsCredentials({"", path.string(), true});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "AKIDDEFAULT");
  c = LoadAwsCredentials({"ops", (path.string() + ".absent"), true});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().reason_id(), "client.no_credentials");
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace attest::client
