#include "service/http/json_parse.h"

#include <string>

namespace attest::service::http {

Result<nlohmann::json> ParseJsonText(std::string_view text, int max_depth) {
  JsonError error;
  JsonReadOptions options;
  options.max_depth = max_depth;
  Result<nlohmann::json> doc = ReadJson(text, reasons::kApiMalformedJson, options, &error);
  if (doc.ok() || error.kind == JsonErrorKind::kDuplicateKey) {
    return doc;
  }
  return Status(reasons::kApiMalformedJson, "body is not valid JSON: " + error.Describe());
}

}  // namespace attest::service::http
