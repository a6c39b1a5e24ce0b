#include "flags/args.h"

namespace attest::flags {

Result<Args> Args::Parse(int argc, char** argv, int first, const FlagSpec& spec) {
  Args args;
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      args.positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (spec.boolean.count(name) != 0) {
      if (inline_value) {
        return Status(reasons::kCliUsage, "--" + name + " takes no value");
      }
      args.flags_.insert(name);
    } else if (spec.with_value.count(name) != 0) {
      if (args.values_.count(name) != 0) {
        return Status(reasons::kCliUsage, "--" + name + " given twice");
      }
      if (inline_value) {
        args.values_[name] = *inline_value;
      } else if (i + 1 < argc) {
        args.values_[name] = argv[++i];
      } else {
        return Status(reasons::kCliUsage, "--" + name + " needs a value");
      }
    } else {
      return Status(reasons::kCliUsage, "unknown flag --" + name);
    }
  }
  return args;
}

std::optional<std::string> Args::Get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) {
    return std::nullopt;
  }
  return it->second;
}

bool Args::Has(const std::string& name) const { return flags_.count(name) != 0; }

Result<std::string> Args::Require(const std::string& name) const {
  auto value = Get(name);
  if (!value) {
    return Status(reasons::kCliUsage, "missing required flag --" + name);
  }
  return *value;
}

}  // namespace attest::flags
