// The shared measurement vectors (../shared/vectors/measure, relative to the repository root
// the tests run from) as the API's measurement tests read them.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "attest/core/bytes.h"

namespace attest::service::api::testing {

inline const std::string kSnpVectors = "../shared/vectors/measure/snp/";
inline const std::string kTdxVectors = "../shared/vectors/measure/tdx/";

// ReadVectorFile returns the file's bytes (a test failure when it cannot be opened).
inline std::shared_ptr<const Bytes> ReadVectorFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  return std::make_shared<const Bytes>(std::istreambuf_iterator<char>(in),
                                       std::istreambuf_iterator<char>());
}

inline nlohmann::json ReadVectorJson(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

// ReferenceRun returns the recorded sev-snp-measure run with that id (generated.json).
inline nlohmann::json ReferenceRun(int id) {
  for (const nlohmann::json& r : ReadVectorJson(kSnpVectors + "generated.json")) {
    if (r["id"] == id) {
      return r;
    }
  }
  ADD_FAILURE() << "no run " << id;
  return {};
}

}  // namespace attest::service::api::testing
