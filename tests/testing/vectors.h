// Access to the shared real test vectors (../shared/vectors, see its MANIFEST.md).
#pragma once

#include <string>

#include "attest/core/bytes.h"

namespace attest::testing {

// VectorPath returns the path of a file under the shared vectors folder. ATTEST_VECTORS in the
// environment overrides the default "<repo>/../shared/vectors".
std::string VectorPath(const std::string& relative);

// ReadVector reads a vector file; a missing file fails the calling test (ADD_FAILURE) and returns
// {}.
Bytes ReadVector(const std::string& relative);

// ReadText reads a repository-relative or absolute text file the same way.
std::string ReadVectorText(const std::string& relative);

}  // namespace attest::testing
