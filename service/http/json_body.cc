#include "service/http/json_body.h"

#include "attest/core/encoding.h"
#include "service/http/header_text.h"
#include "service/http/json_parse.h"
#include "service/http/router.h"

namespace attest::service::http {
namespace {

Status FieldError(std::string_view name, std::string_view what) {
  return Status(reasons::kApiInvalidField,
                "field \"" + std::string(name) + "\": " + std::string(what));
}

}  // namespace

std::string HeaderValue(const HttpRequest& req, std::string_view name) {
  for (const HttpHeader& h : req.headers) {
    if (EqualsIgnoreCase(h.name, name)) {
      return std::string(TrimOws(h.value));
    }
  }
  return "";
}

Result<nlohmann::json> ParseJsonObject(const HttpRequest& req) {
  std::string type = HeaderValue(req, "Content-Type");
  std::string_view media = TrimOws(std::string_view(type).substr(0, type.find(';')));
  if (!EqualsIgnoreCase(media, "application/json")) {
    return Status(reasons::kApiUnsupportedMediaType,
                  "Content-Type must be application/json, got \"" + type + "\"");
  }
  if (req.body.size() > kMaxBodyBytes) {
    return Status(reasons::kApiBodyTooLarge,
                  "request body exceeds " + std::to_string(kMaxBodyBytes) + " bytes");
  }
  // Duplicate keys and deep nesting are refused by the parser itself.
  const std::string_view text(reinterpret_cast<const char*>(req.body.data()), req.body.size());
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json doc, ParseJsonText(text));
  if (!doc.is_object()) {
    return Status(reasons::kApiMalformedJson, "body must be a JSON object");
  }
  return doc;
}

const nlohmann::json* ObjectReader::Find(std::string_view name, bool required, Status* error) {
  taken_.emplace_back(name);
  auto it = object_.find(std::string(name));
  if (it == object_.end() || it->is_null()) {
    if (required) {
      *error = FieldError(name, "required");
    }
    return nullptr;
  }
  return &*it;
}

Result<std::string> ObjectReader::TakeString(std::string_view name, bool required) {
  Status error;
  const nlohmann::json* v = Find(name, required, &error);
  if (!error.ok()) {
    return error;
  }
  if (v == nullptr) {
    return std::string();
  }
  if (!v->is_string()) {
    return FieldError(name, "must be a string");
  }
  return v->get<std::string>();
}

Result<Bytes> ObjectReader::TakeBase64(std::string_view name, bool required, size_t max_bytes) {
  ATTEST_ASSIGN_OR_RETURN(std::string text, TakeString(name, required));
  if (text.empty()) {
    if (required) {
      return FieldError(name, "must not be empty");
    }
    return Bytes();
  }
  if (text.size() / 4 * 3 > max_bytes + 3) {
    return FieldError(name, "longer than " + std::to_string(max_bytes) + " bytes");
  }
  Result<Bytes> decoded = Base64Decode(text);
  if (!decoded.ok()) {
    return FieldError(name, "not valid base64");
  }
  if (decoded->size() > max_bytes) {
    return FieldError(name, "longer than " + std::to_string(max_bytes) + " bytes");
  }
  return decoded;
}

Result<int64_t> ObjectReader::TakeInt(std::string_view name, bool required, int64_t min,
                                      int64_t max, int64_t fallback) {
  Status error;
  const nlohmann::json* v = Find(name, required, &error);
  if (!error.ok()) {
    return error;
  }
  if (v == nullptr) {
    return fallback;
  }
  if (!v->is_number_integer()) {
    return FieldError(name, "must be an integer");
  }
  int64_t n = v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)
                  ? INT64_MAX
                  : v->get<int64_t>();
  if (n < min || n > max) {
    return FieldError(name, "must be in " + std::to_string(min) + ".." + std::to_string(max));
  }
  return n;
}

Result<nlohmann::json> ObjectReader::TakeJson(std::string_view name, bool required) {
  Status error;
  const nlohmann::json* v = Find(name, required, &error);
  if (!error.ok()) {
    return error;
  }
  if (v == nullptr) {
    return nlohmann::json();
  }
  return *v;
}

Status ObjectReader::Finish() const {
  for (const auto& [key, value] : object_.items()) {
    if (std::find(taken_.begin(), taken_.end(), key) == taken_.end()) {
      return Status(reasons::kApiUnknownField, "unknown field \"" + key + "\"");
    }
  }
  return Status::Ok();
}

Result<std::vector<std::string>> ReadNameList(const nlohmann::json& value, std::string_view field,
                                              size_t max_items) {
  const std::string where = "field \"" + std::string(field) + "\": ";
  if (!value.is_array()) {
    return Status(reasons::kApiInvalidField, where + "an array");
  }
  if (value.size() > max_items) {
    return Status(reasons::kApiInvalidField, where + "at most " + std::to_string(max_items));
  }
  std::vector<std::string> names;
  for (const nlohmann::json& v : value) {
    if (!v.is_string() || !IsValidName(v.get<std::string>())) {
      return Status(reasons::kApiInvalidField,
                    where + "names (1..128 characters of A-Z a-z 0-9 . _ -)");
    }
    const std::string name = v.get<std::string>();
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      return Status(reasons::kApiInvalidField, where + name + " is listed twice");
    }
    names.push_back(name);
  }
  return names;
}

}  // namespace attest::service::http
