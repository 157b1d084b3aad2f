// `calyx gen module`: writes a complete module project (CMake against the installed SDK, the module source
// with every part of the behaviour, its first migration for both backends, a test, a README) from the
// templates embedded in the binary. Never overwrites: the target directory must not exist or be empty.
#include "cli/commands.hpp"
#include "cli/common.hpp"

#include <calyx/embedded_file.hpp>
#include <calyx/modules/loader.hpp>
#include <calyx/templates/template.hpp>

#include <boost/json/value.hpp>
#include <fmt/format.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>

std::vector<calyx::EmbeddedFile> calyx_module_template_files();

namespace calyx::cli {
namespace {

// `text` inside a C++ string literal.
std::string cpp_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// The default code for a display name: "Customer Support" → "customer_support".
std::string code_from_name(std::string_view name) {
  std::string code;
  for (char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c))) code += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!code.empty() && code.back() != '_') code += '_';
  }
  while (!code.empty() && code.back() == '_') code.pop_back();
  return code;
}

Status check_inputs(const std::string& name, const std::string& code, const std::string& description) {
  bool name_ok = !name.empty() && name.size() <= 60 && std::isalpha(static_cast<unsigned char>(name[0]));
  for (char c : name) {
    name_ok = name_ok && (std::isalnum(static_cast<unsigned char>(c)) || c == ' ' || c == '-' || c == '_');
  }
  if (!name_ok) {
    return Error::invalid_argument(fmt::format(
        "module name '{}' is invalid: 1-60 letters, digits, spaces, '-' or '_', starting with a letter", name));
  }
  if (!modules::is_valid_module_code(code)) {
    return Error::invalid_argument(fmt::format(
        "--code '{}' is invalid: 2-32 lower-case letters, digits or '_', starting with a letter", code));
  }
  if (description.size() > 200) return Error::invalid_argument("--description is longer than 200 characters");
  for (unsigned char c : description) {
    if (c < 0x20) return Error::invalid_argument("--description must be one line of text");
  }
  return Ok{};
}

// Where a template lands: "src/module.cpp.tmpl" → "src/<code>.cpp", the first migration named after the code.
std::string output_name(std::string name, const std::string& code) {
  name.erase(name.size() - 5);  // ".tmpl"
  if (name == "src/module.cpp") return "src/" + code + ".cpp";
  auto items = name.find("0001_create_items");
  if (items != std::string::npos) name.replace(items, 17, "0001_create_" + code + "_items");
  return name;
}

}  // namespace

int gen_module(const std::string& name, std::string code, const std::string& description, const std::string& path) {
  if (code.empty()) code = code_from_name(name);
  if (auto ok = check_inputs(name, code, description); !ok) return fail(ok.error().message());
  std::filesystem::path target = std::filesystem::path(path) / code;
  std::error_code ec;
  if (std::filesystem::exists(target, ec) && !std::filesystem::is_empty(target, ec)) {
    return fail(fmt::format("{} already exists and is not empty; nothing was written", target.string()));
  }
  std::string text = description.empty() ? name + " module" : description;
  boost::json::object data{{"code", code},
                           {"name", name},
                           {"name_cpp", cpp_escape(name)},
                           {"name_html", cpp_escape(templates::escape_html(name))},
                           {"description_cpp", cpp_escape(text)},
                           {"description_comment", text},
                           {"description_text", text}};
  std::vector<std::pair<std::filesystem::path, std::string>> outputs;
  for (const auto& file : calyx_module_template_files()) {
    auto rendered = templates::render(file.content, data);
    if (!rendered) return fail(fmt::format("template {}: {}", file.name, rendered.error().message()));
    outputs.emplace_back(target / output_name(std::string(file.name), code), std::move(rendered.value()));
  }
  for (const auto& [file, content] : outputs) {
    std::filesystem::create_directories(file.parent_path(), ec);
    std::ofstream out(file, std::ios::binary);
    out << content;
    if (!out) return fail(fmt::format("cannot write {}", file.string()));
    std::printf("created %s\n", file.string().c_str());
  }
  std::printf("module %s (%s) is ready: cmake -S %s -B %s/build -DCMAKE_PREFIX_PATH=<calyx sdk prefix>\n", code.c_str(),
              name.c_str(), target.string().c_str(), target.string().c_str());
  return 0;
}

}  // namespace calyx::cli

namespace calyx::cli {
namespace {

// The module's source directory: the one whose CMakeLists.txt calls calyx_add_module(<code> ...).
Result<std::filesystem::path> module_source_dir(const std::string& code, const std::string& path) {
  std::vector<std::filesystem::path> candidates;
  if (!path.empty()) {
    candidates.push_back(path);
  } else {
    candidates = {std::filesystem::path("plugins") / code, std::filesystem::path(code), "."};
  }
  for (const auto& dir : candidates) {
    std::ifstream in(dir / "CMakeLists.txt");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.find("calyx_add_module(" + code + " ") != std::string::npos ||
        text.find("calyx_add_module(" + code + "\n") != std::string::npos) {
      return dir;
    }
  }
  std::string tried;
  for (const auto& dir : candidates) tried += (tried.empty() ? "" : ", ") + dir.string();
  return Error::not_found(fmt::format(
      "no source directory of module '{}' found (looked for a CMakeLists.txt calling calyx_add_module({} ...) in {}); "
      "give it with --path",
      code, code, tried));
}

}  // namespace

int gen_migration(const std::string& name, const std::string& code, const std::string& path) {
  bool name_ok = !name.empty() && name.size() <= 60 && std::islower(static_cast<unsigned char>(name[0]));
  for (char c : name) name_ok = name_ok && (std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_');
  if (!name_ok) {
    return fail(fmt::format("migration name '{}' is invalid: snake_case, 1-60 lower-case letters, digits or '_', "
                            "starting with a letter",
                            name));
  }
  if (!modules::is_valid_module_code(code)) return fail(fmt::format("--module '{}' is not a valid module code", code));
  auto dir = module_source_dir(code, path);
  if (!dir) return fail(dir.error().message());
  auto migrations = *dir / "migrations";
  std::error_code ec;
  std::filesystem::create_directories(migrations, ec);
  if (ec) return fail(fmt::format("cannot create {}: {}", migrations.string(), ec.message()));

  // Next number after the highest present; the module's habit decides one file or one per dialect.
  long long highest = 0;
  bool per_dialect = false;
  for (const auto& entry : std::filesystem::directory_iterator(migrations)) {
    std::string file = entry.path().filename().string();
    if (file.size() < 5 || !std::isdigit(static_cast<unsigned char>(file[0])) || !file.ends_with(".sql")) continue;
    highest = std::max(highest, std::stoll(file.substr(0, file.find('_'))));
    if (file.ends_with(".sqlite.sql") || file.ends_with(".postgresql.sql")) per_dialect = true;
    if (file.find("_" + name + ".") != std::string::npos) {
      return fail(fmt::format("{} already has a migration named {} ({})", code, name, file));
    }
  }
  std::string stem = fmt::format("{:04}_{}", highest + 1, name);
  std::vector<std::pair<std::string, std::string>> files;
  auto header = [&](const char* dialect) {
    return fmt::format(
        "-- {} migration {} of module {}.\n"
        "-- Runs once per tenant scope, in its own transaction, with the tenant's schema or database already\n"
        "-- selected: name tables without a schema and without a tenant_id column (shared mode adds it).\n"
        "-- Never edit this file once it has been applied anywhere; add a new migration instead.\n\n",
        dialect, stem, code);
  };
  if (per_dialect) {
    files = {{stem + ".sqlite.sql", header("SQLite")}, {stem + ".postgresql.sql", header("PostgreSQL")}};
  } else {
    files = {{stem + ".sql", header("SQL")}};
  }
  for (const auto& [file, content] : files) {
    std::ofstream out(migrations / file, std::ios::binary);
    out << content;
    if (!out) return fail(fmt::format("cannot write {}", (migrations / file).string()));
    std::printf("created %s\n", (migrations / file).string().c_str());
  }
  std::printf("write the SQL, rebuild the module, then run: calyx tenant migrate\n");
  return 0;
}

}  // namespace calyx::cli
