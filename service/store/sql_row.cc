#include "service/store/sql_row.h"

#include <charconv>

namespace attest::service::store {

Status Corrupt(std::string_view what) {
  return Status(reasons::kStoreDatabase, "stored " + std::string(what) + " is malformed");
}

Status NotFound(std::string_view what, std::string_view name) {
  return Status(reasons::kStoreNotFound,
                std::string(what) + " \"" + std::string(name.substr(0, 128)) + "\" not found");
}

Result<int64_t> ToInt(const std::optional<std::string>& text) {
  int64_t v = 0;
  if (!text) {
    return Corrupt("integer (NULL)");
  }
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || end != text->data() + text->size()) {
    return Corrupt("integer");
  }
  return v;
}

Bytes Row::Blob(size_t column) const {
  const std::optional<std::string>& v = cells_[column];
  return v ? Bytes(v->begin(), v->end()) : Bytes{};
}

Result<TimePoint> Row::Time(size_t column) const {
  ATTEST_ASSIGN_OR_RETURN(const int64_t v, Int(column));
  return FromUnixSeconds(v);
}

Result<std::optional<TimePoint>> Row::OptionalTime(size_t column) const {
  if (!cells_[column]) {
    return std::optional<TimePoint>();
  }
  ATTEST_ASSIGN_OR_RETURN(const TimePoint t, Time(column));
  return std::optional<TimePoint>(t);
}

Result<bool> Row::Bool(size_t column) const {
  const std::optional<std::string>& text = cells_[column];
  if (text == "1" || text == "t" || text == "true") {
    return true;
  }
  if (text == "0" || text == "f" || text == "false") {
    return false;
  }
  return Corrupt("boolean");
}

Result<Rows> Rows::Of(const std::vector<SqlRow>& rows, const ColumnList& columns) {
  // Every row of one result has the same width: checking the first checks them all.
  if (!rows.empty() && rows[0].size() != columns.size()) {
    return Corrupt("row (" + std::to_string(rows[0].size()) + " columns, want " +
                   std::to_string(columns.size()) + ")");
  }
  return Rows(&rows);
}

std::vector<std::string> FirstColumn(const std::vector<SqlRow>& rows) {
  std::vector<std::string> out;
  out.reserve(rows.size());
  for (const SqlRow& r : rows) {
    out.push_back(r[0].value_or(""));
  }
  return out;
}

std::vector<std::string> SplitCommaList(const std::string& joined) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < joined.size()) {
    const size_t comma = joined.find(',', start);
    const size_t end = comma == std::string::npos ? joined.size() : comma;
    out.push_back(joined.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace attest::service::store
