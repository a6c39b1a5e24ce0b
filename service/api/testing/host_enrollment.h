// EnrollHost: a host's whole enrollment through the API, as attest-agent does it, with a software
// TPM: the operator's enrollment token, POST /v1/enroll, TPM2_ActivateCredential, the host's key
// derived from the recovered secret, POST /v1/enroll/activate. For handler tests.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "service/api/testing/api_harness.h"
#include "sigv4/signer.h"
#include "tests/testing/fake_tpm.h"

namespace attest::service::api::testing {

struct EnrolledHost {
  std::string id;
  sigv4::Credentials credentials;  // the host's own
};

// CreateEnrollmentToken asks for an enrollment with `options` ({"host_policy": ...} and any of
// tees, libvirt_uri, expires_in_seconds) and returns its token ("" on failure, with a test
// failure recorded).
std::string CreateEnrollmentToken(ApiHarness& h, const nlohmann::json& options);

// RedeemAndActivate enrolls tpm with token and ek_cert (empty: the harness's test vendor issues
// one), and the platform identity document when not null.
EnrolledHost RedeemAndActivate(ApiHarness& h, const attest::testing::FakeTpm& tpm,
                               const std::string& token, const Bytes& ek_cert = {},
                               const nlohmann::json& platform = nullptr);

// EnrollHost is CreateEnrollmentToken then RedeemAndActivate.
EnrolledHost EnrollHost(ApiHarness& h, const attest::testing::FakeTpm& tpm,
                        const nlohmann::json& options);

}  // namespace attest::service::api::testing
