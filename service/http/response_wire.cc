#include "service/http/response_wire.h"

#include "service/http/header_text.h"

namespace attest::service::http {

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 428:
      return "Precondition Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

std::string SerializeResponse(const HttpResponse& response, const ResponseFraming& framing) {
  const bool bodiless = (response.status >= 100 && response.status < 200) ||
                        response.status == 204 || response.status == 304;
  std::string out;
  out.reserve(256 + (framing.head || bodiless ? 0 : response.body.size()));
  out.append("HTTP/1.1 ")
      .append(std::to_string(response.status))
      .append(" ")
      .append(ReasonPhrase(response.status))
      .append("\r\n");
  for (const HttpHeader& h : response.headers) {
    if (EqualsIgnoreCase(h.name, "content-length") ||
        EqualsIgnoreCase(h.name, "transfer-encoding") || EqualsIgnoreCase(h.name, "connection") ||
        h.name.find_first_of("\r\n:") != std::string::npos ||
        h.value.find_first_of("\r\n") != std::string::npos) {
      continue;  // framing is the server's; a line break would split the response
    }
    out.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  if (!bodiless) {
    if (!response.content_type.empty() || !response.body.empty()) {
      out.append("Content-Type: ")
          .append(response.content_type.empty() ? "application/octet-stream"
                                                : response.content_type)
          .append("\r\n");
    }
    out.append("Content-Length: ").append(std::to_string(response.body.size())).append("\r\n");
  }
  if (framing.close) {
    out.append("Connection: close\r\n");
  }
  out.append("\r\n");
  if (!bodiless && !framing.head) {
    out.append(response.body);
  }
  return out;
}

}  // namespace attest::service::http
