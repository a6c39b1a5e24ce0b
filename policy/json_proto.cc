#include "policy/json_proto.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>

#include <nlohmann/json.hpp>

#include <limits>
#include <set>

#include "attest/core/encoding.h"
#include "attest/core/json.h"
#include "attest/policy/v1/options.pb.h"

namespace attest::policy {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using nlohmann::json;

constexpr size_t kMaxDocumentBytes = 1 << 20;
constexpr int kMaxDepth = 16;

Status Invalid(const std::string& path, const std::string& what) {
  return Status(reasons::kPolicyInvalid, (path.empty() ? "(document)" : path) + ": " + what);
}

std::string TypeName(const json& value) {
  if (value.is_null()) {
    return "null";
  }
  if (value.is_boolean()) {
    return "a boolean";
  }
  if (value.is_number()) {
    return "a number";
  }
  if (value.is_string()) {
    return "a string";
  }
  if (value.is_array()) {
    return "an array";
  }
  return "an object";
}

const FieldDescriptor* FindField(const Descriptor* d, const std::string& key) {
  if (const FieldDescriptor* f = d->FindFieldByName(key)) {
    return f;
  }
  for (int i = 0; i < d->field_count(); ++i) {
    if (d->field(i)->json_name() == key) {
      return d->field(i);
    }
  }
  return nullptr;
}

Status CheckHex(const FieldDescriptor* field, const std::string& path, const std::string& text) {
  const auto& options = field->options();
  const uint32_t want = options.GetExtension(attest::policy::v1::hex_bytes);
  const bool digest = options.GetExtension(attest::policy::v1::hex_digest);
  if (want == 0 && !digest) {
    return Status::Ok();
  }
  auto bytes = HexDecode(text);
  if (!bytes.ok()) {
    return Invalid(path, "not hex (" + bytes.status().message() + ")");
  }
  if (want != 0 && bytes->size() != want) {
    return Invalid(path, "expected " + std::to_string(want) + " bytes of hex, got " +
                             std::to_string(text.size() / 2));
  }
  if (digest && bytes->size() != 20 && bytes->size() != 32 && bytes->size() != 48 &&
      bytes->size() != 64) {
    return Invalid(path, "expected a SHA-1/256/384/512 digest in hex, got " +
                             std::to_string(bytes->size()) + " bytes");
  }
  return Status::Ok();
}

Result<uint64_t> ReadUnsigned(const json& value, const std::string& path, uint64_t max) {
  uint64_t v = 0;
  if (value.is_number_unsigned()) {
    v = value.get<uint64_t>();
  } else if (value.is_number_integer()) {
    return Invalid(path, "must not be negative");
  } else if (value.is_string() && !value.get<std::string>().empty() &&
             value.get<std::string>().size() <= 20 &&
             value.get<std::string>().find_first_not_of("0123456789") == std::string::npos) {
    // protobuf's JSON mapping writes 64-bit integers as strings.
    try {
      v = std::stoull(value.get<std::string>());
    } catch (...) {
      return Invalid(path, "integer out of range");
    }
  } else {
    return Invalid(path, "expected a non-negative integer, got " + TypeName(value));
  }
  if (v > max) {
    return Invalid(path, "integer " + std::to_string(v) + " out of range");
  }
  return v;
}

Status FillMessage(const json& object, Message* message, const std::string& path, int depth);

// FillScalar sets (or, for a repeated field, adds) one value of field from value.
Status FillScalar(const json& value, const FieldDescriptor* field, Message* message,
                  const std::string& path, int depth) {
  const Reflection* r = message->GetReflection();
  const bool repeated = field->is_repeated();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      if (!value.is_string()) {
        return Invalid(path, "expected a string, got " + TypeName(value));
      }
      const std::string text = value.get<std::string>();
      ATTEST_RETURN_IF_ERROR(CheckHex(field, path, text));
      repeated ? r->AddString(message, field, text) : r->SetString(message, field, text);
      return Status::Ok();
    }
    case FieldDescriptor::CPPTYPE_BOOL:
      if (!value.is_boolean()) {
        return Invalid(path, "expected true or false, got " + TypeName(value));
      }
      repeated ? r->AddBool(message, field, value.get<bool>())
               : r->SetBool(message, field, value.get<bool>());
      return Status::Ok();
    case FieldDescriptor::CPPTYPE_UINT32: {
      ATTEST_ASSIGN_OR_RETURN(uint64_t v,
                              ReadUnsigned(value, path, std::numeric_limits<uint32_t>::max()));
      repeated ? r->AddUInt32(message, field, static_cast<uint32_t>(v))
               : r->SetUInt32(message, field, static_cast<uint32_t>(v));
      return Status::Ok();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      ATTEST_ASSIGN_OR_RETURN(uint64_t v,
                              ReadUnsigned(value, path, std::numeric_limits<uint64_t>::max()));
      repeated ? r->AddUInt64(message, field, v) : r->SetUInt64(message, field, v);
      return Status::Ok();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      if (!value.is_string()) {
        return Invalid(path, "expected an enum name, got " + TypeName(value));
      }
      const auto* enum_value = field->enum_type()->FindValueByName(value.get<std::string>());
      if (enum_value == nullptr || enum_value->number() == 0) {
        std::string names;
        for (int i = 1; i < field->enum_type()->value_count(); ++i) {
          names += (i > 1 ? ", " : "") + field->enum_type()->value(i)->name();
        }
        return Invalid(path, "\"" + value.get<std::string>() + "\" is not one of " + names);
      }
      repeated ? r->AddEnum(message, field, enum_value) : r->SetEnum(message, field, enum_value);
      return Status::Ok();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      Message* child = repeated ? r->AddMessage(message, field) : r->MutableMessage(message, field);
      return FillMessage(value, child, path, depth + 1);
    }
    default:
      return Invalid(path, "field type not supported by the policy loader");
  }
}

Status FillMessage(const json& object, Message* message, const std::string& path, int depth) {
  if (depth > kMaxDepth) {
    return Invalid(path, "nested too deeply");
  }
  if (!object.is_object()) {
    return Invalid(path, "expected an object, got " + TypeName(object));
  }
  const Descriptor* d = message->GetDescriptor();
  std::set<const FieldDescriptor*> seen;
  for (auto it = object.begin(); it != object.end(); ++it) {
    const std::string child_path = path.empty() ? it.key() : path + "." + it.key();
    const FieldDescriptor* field = FindField(d, it.key());
    if (field == nullptr) {
      return Invalid(child_path, "unknown field");
    }
    if (!seen.insert(field).second) {
      return Invalid(child_path,
                     "field given twice (as " + field->name() + " and " + field->json_name() + ")");
    }
    if (field->is_repeated()) {
      if (!it->is_array()) {
        return Invalid(child_path, "expected an array, got " + TypeName(*it));
      }
      for (size_t i = 0; i < it->size(); ++i) {
        ATTEST_RETURN_IF_ERROR(FillScalar((*it)[i], field, message,
                                          child_path + "[" + std::to_string(i) + "]", depth));
      }
    } else {
      ATTEST_RETURN_IF_ERROR(FillScalar(*it, field, message, child_path, depth));
    }
  }
  return Status::Ok();
}

// ParseRejectingDuplicates reads the document with the project's strict reader
// (attest/core/json.h), which refuses a key repeated within one object (nlohmann would keep the
// last one silently: two readers could see two different policies).
Result<json> ParseRejectingDuplicates(std::string_view text) {
  JsonError error;
  Result<json> parsed = ReadJson(text, reasons::kPolicyInvalid, {}, &error);
  if (parsed.ok()) {
    return parsed;
  }
  if (error.kind == JsonErrorKind::kDuplicateKey) {
    return Invalid(error.key, "key repeated in one object");
  }
  return Invalid("", "not valid JSON");
}

}  // namespace

Status JsonToMessage(std::string_view text, google::protobuf::Message* message) {
  message->Clear();
  if (text.size() > kMaxDocumentBytes) {
    return Invalid("", "document larger than 1 MiB");
  }
  ATTEST_ASSIGN_OR_RETURN(json parsed, ParseRejectingDuplicates(text));
  return FillMessage(parsed, message, "", 0);
}

}  // namespace attest::policy
