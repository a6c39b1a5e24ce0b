// Thin RAII layer over libxml2 for the launcher: building documents through the tree API (every
// attribute and text node escaped by libxml2, never pasted into a string), and parsing documents
// that come back from libvirt (capabilities, defined domains) with entity expansion and network
// access off, then reading them through XPath.
#pragma once

#include <libxml/tree.h>
#include <libxml/xpath.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attest/core/status.h"
#include "launcher/reasons.h"

namespace attest::launcher {

struct XmlDocDeleter {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
using XmlDocPtr = std::unique_ptr<xmlDoc, XmlDocDeleter>;

// XmlBuilder owns a document under construction.
class XmlBuilder {
 public:
  explicit XmlBuilder(std::string_view root_name);
  xmlNode* root() const { return root_; }
  // Child appends <name> to parent; with text, its content (escaped).
  xmlNode* Child(xmlNode* parent, std::string_view name);
  xmlNode* Child(xmlNode* parent, std::string_view name, std::string_view text);
  // Attr sets an attribute (escaped).
  static void Attr(xmlNode* node, std::string_view name, std::string_view value);
  // Serialize returns the indented document without the XML declaration.
  Result<std::string> Serialize() const;

 private:
  XmlDocPtr doc_;
  xmlNode* root_ = nullptr;
};

// kMaxParsedXmlBytes caps documents read back from a hypervisor (domain capabilities are ~10 KiB).
inline constexpr size_t kMaxParsedXmlBytes = 4 << 20;

// ParseXml parses text without DTD loading, entity substitution or network access. Fails with
// `reason` when the document is larger than kMaxParsedXmlBytes or not well-formed.
Result<XmlDocPtr> ParseXml(std::string_view text, Reason reason);

// XPathStrings returns the string value of every node the expression selects (element text or
// attribute value), in document order; an invalid expression is an internal error.
std::vector<std::string> XPathStrings(xmlDoc* doc, std::string_view expr);
// XPathString returns the first value, or nullopt.
std::optional<std::string> XPathString(xmlDoc* doc, std::string_view expr);
// XPathCount returns how many nodes the expression selects.
size_t XPathCount(xmlDoc* doc, std::string_view expr);

// ParseUint parses a decimal ("123") or hexadecimal ("0x1f") unsigned number that fits 64 bits.
std::optional<uint64_t> ParseUint(std::string_view text);

}  // namespace attest::launcher
