#include "launcher/xml.h"

#include <libxml/parser.h>
#include <libxml/xpathInternals.h>

#include <charconv>

namespace attest::launcher {
namespace {

const xmlChar* X(const std::string& s) { return reinterpret_cast<const xmlChar*>(s.c_str()); }

struct XPathContextDeleter {
  void operator()(xmlXPathContext* c) const { xmlXPathFreeContext(c); }
};
struct XPathObjectDeleter {
  void operator()(xmlXPathObject* o) const { xmlXPathFreeObject(o); }
};

// Evaluate runs expr; nullptr when it does not select a node set.
std::unique_ptr<xmlXPathObject, XPathObjectDeleter> Evaluate(xmlDoc* doc, std::string_view expr) {
  std::unique_ptr<xmlXPathContext, XPathContextDeleter> ctx(xmlXPathNewContext(doc));
  if (ctx == nullptr) {
    return nullptr;
  }
  std::string e(expr);
  std::unique_ptr<xmlXPathObject, XPathObjectDeleter> obj(xmlXPathEvalExpression(X(e), ctx.get()));
  if (obj == nullptr || obj->type != XPATH_NODESET) {
    return nullptr;
  }
  return obj;
}

// Silences libxml2's default error printer: a hostile document is reported through Status.
void IgnoreXmlError(void*, const char*, ...) {}

}  // namespace

XmlBuilder::XmlBuilder(std::string_view root_name) : doc_(xmlNewDoc(BAD_CAST "1.0")) {
  std::string name(root_name);
  root_ = xmlNewDocNode(doc_.get(), nullptr, X(name), nullptr);
  xmlDocSetRootElement(doc_.get(), root_);
}

xmlNode* XmlBuilder::Child(xmlNode* parent, std::string_view name) {
  std::string n(name);
  return xmlNewChild(parent, nullptr, X(n), nullptr);
}

xmlNode* XmlBuilder::Child(xmlNode* parent, std::string_view name, std::string_view text) {
  // xmlNewTextChild escapes its content; xmlNewChild would interpret '&' as an entity reference.
  std::string n(name), t(text);
  return xmlNewTextChild(parent, nullptr, X(n), X(t));
}

void XmlBuilder::Attr(xmlNode* node, std::string_view name, std::string_view value) {
  std::string n(name), v(value);
  xmlSetProp(node, X(n), X(v));
}

Result<std::string> XmlBuilder::Serialize() const {
  if (doc_ == nullptr || root_ == nullptr) {
    return Status(reasons::kLauncherXml, "xml: document allocation failed");
  }
  struct BufferDeleter {
    void operator()(xmlBuffer* b) const { xmlBufferFree(b); }
  };
  std::unique_ptr<xmlBuffer, BufferDeleter> buf(xmlBufferCreate());
  if (buf == nullptr || xmlNodeDump(buf.get(), doc_.get(), root_, 0, 1) < 0) {
    return Status(reasons::kLauncherXml, "xml: serialization failed");
  }
  std::string out(reinterpret_cast<const char*>(xmlBufferContent(buf.get())),
                  static_cast<size_t>(xmlBufferLength(buf.get())));
  out.push_back('\n');
  return out;
}

Result<XmlDocPtr> ParseXml(std::string_view text, Reason reason) {
  if (text.size() > kMaxParsedXmlBytes) {
    return Status(reason, "xml: document of " + std::to_string(text.size()) +
                              " bytes exceeds the limit of " + std::to_string(kMaxParsedXmlBytes));
  }
  xmlSetGenericErrorFunc(nullptr, IgnoreXmlError);
  XmlDocPtr doc(xmlReadMemory(text.data(), static_cast<int>(text.size()), "input.xml", nullptr,
                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
  if (doc == nullptr || xmlDocGetRootElement(doc.get()) == nullptr) {
    return Status(reason, "xml: document is not well-formed");
  }
  // A DOCTYPE could declare entities; libvirt never sends one.
  if (doc->intSubset != nullptr) {
    return Status(reason, "xml: document type declarations are not accepted");
  }
  return doc;
}

std::vector<std::string> XPathStrings(xmlDoc* doc, std::string_view expr) {
  std::vector<std::string> out;
  auto obj = Evaluate(doc, expr);
  if (obj == nullptr || obj->nodesetval == nullptr) {
    return out;
  }
  for (int i = 0; i < obj->nodesetval->nodeNr; ++i) {
    xmlChar* content = xmlNodeGetContent(obj->nodesetval->nodeTab[i]);
    out.emplace_back(content == nullptr ? "" : reinterpret_cast<const char*>(content));
    xmlFree(content);
  }
  return out;
}

std::optional<std::string> XPathString(xmlDoc* doc, std::string_view expr) {
  auto all = XPathStrings(doc, expr);
  if (all.empty()) {
    return std::nullopt;
  }
  return all.front();
}

size_t XPathCount(xmlDoc* doc, std::string_view expr) {
  auto obj = Evaluate(doc, expr);
  if (obj == nullptr || obj->nodesetval == nullptr) {
    return 0;
  }
  return static_cast<size_t>(obj->nodesetval->nodeNr);
}

std::optional<uint64_t> ParseUint(std::string_view text) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  if (text.empty()) {
    return std::nullopt;
  }
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace attest::launcher
