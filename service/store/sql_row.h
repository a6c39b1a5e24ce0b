// The resource stores' shared SQL pieces: column lists named once, a row read by column name, and
// the few errors every resource answers with. Internal to service/store: callers see records.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/core/time.h"
#include "service/store/sql.h"

namespace attest::service::store {

// ColumnList names the columns a statement selects (or inserts, or returns), once: sql() is the
// text that goes into the statement and operator[] is a column's position in it, found at compile
// time. A misspelt name does not compile, and reordering the list moves every position with it,
// so the SELECT and the code reading its rows cannot disagree.
class ColumnList {
 public:
  // list: "a, b, c" (names separated by ", ", as they appear in the SQL text).
  consteval explicit ColumnList(const char* list) : list_(list), size_(Count(list)) {}

  // sql returns the comma-separated list for the statement text.
  constexpr const char* sql() const { return list_; }
  // size returns the number of columns.
  constexpr size_t size() const { return size_; }

  // operator[] returns the position of name; a name not in the list is a compile error.
  consteval size_t operator[](std::string_view name) const {
    const std::string_view list(list_);
    size_t index = 0;
    size_t start = 0;
    while (start <= list.size()) {
      size_t end = list.find(',', start);
      if (end == std::string_view::npos) {
        end = list.size();
      }
      if (list.substr(start, end - start) == name) {
        return index;
      }
      ++index;
      start = end + 2;  // ", "
    }
    throw "ColumnList: no such column";  // not a constant expression: the build fails
  }

 private:
  static consteval size_t Count(const char* list) {
    size_t n = 1;
    for (const char* p = list; *p != '\0'; ++p) {
      n += *p == ',' ? 1 : 0;
    }
    return n;
  }

  const char* list_;
  size_t size_;
};

// Corrupt is the error for a stored value that does not read back (reasons::kStoreDatabase).
Status Corrupt(std::string_view what);

// NotFound is the answer for a missing resource, also for another tenant's (store.h).
Status NotFound(std::string_view what, std::string_view name);

// Unix returns t in Unix seconds, the stored form of every time.
inline int64_t Unix(TimePoint t) { return ToUnixSeconds(t); }

// ToInt reads an integer cell (a NULL or non-number is Corrupt).
Result<int64_t> ToInt(const std::optional<std::string>& text);

// Row reads one result row of a statement whose columns are `columns`, by position from
// ColumnList::operator[]. Rows() checks the width once per result, so each read is an index.
class Row {
 public:
  // Text returns the cell as text ("" for NULL).
  std::string Text(size_t column) const { return cells_[column].value_or(""); }
  // Blob returns the cell's bytes (empty for NULL).
  Bytes Blob(size_t column) const;
  // Int returns the cell as an integer (NULL or not a number: Corrupt).
  Result<int64_t> Int(size_t column) const { return ToInt(cells_[column]); }
  // Time returns the cell as Unix seconds (NULL: Corrupt).
  Result<TimePoint> Time(size_t column) const;
  // OptionalTime returns nullopt for NULL, else the cell as Time.
  Result<std::optional<TimePoint>> OptionalTime(size_t column) const;
  // Bool reads a BOOLEAN: SQLite answers 1/0, PostgreSQL t/f.
  Result<bool> Bool(size_t column) const;

 private:
  friend class Rows;
  explicit Row(const SqlRow& cells) : cells_(cells) {}
  const SqlRow& cells_;
};

// Rows is a statement's result read through its ColumnList.
class Rows {
 public:
  // Of returns rows as read through columns; a row of another width is Corrupt (the statement
  // does not select what columns names).
  static Result<Rows> Of(const std::vector<SqlRow>& rows, const ColumnList& columns);

  size_t size() const { return rows_->size(); }
  bool empty() const { return rows_->empty(); }
  Row operator[](size_t i) const { return Row((*rows_)[i]); }

  // Map converts every row with convert.
  template <typename T>
  Result<std::vector<T>> Map(Result<T> (*convert)(const Row&)) const {
    std::vector<T> out;
    out.reserve(rows_->size());
    for (const SqlRow& r : *rows_) {
      ATTEST_ASSIGN_OR_RETURN(T v, convert(Row(r)));
      out.push_back(std::move(v));
    }
    return out;
  }

 private:
  explicit Rows(const std::vector<SqlRow>* rows) : rows_(rows) {}
  const std::vector<SqlRow>* rows_;
};

// FirstColumn returns the first column of rows as text (lists of ids and addresses).
std::vector<std::string> FirstColumn(const std::vector<SqlRow>& rows);

// SplitCommaList reads a list column stored comma-separated (a host's or an enrollment's TEEs, a
// webhook's events: names that never hold a comma); "" is the empty list.
std::vector<std::string> SplitCommaList(const std::string& joined);

}  // namespace attest::service::store
