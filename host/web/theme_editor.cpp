// The theme editor (/admin/theme): every theme field with what the tenant inherits shown as a placeholder, a
// live preview through the same CSS variables /theme.css sets, image uploads, and per-field refusals.
#include "web/admin_html.hpp"
#include "web/admin_ui.hpp"

#include <calyx/templates/template.hpp>

#include <fmt/format.h>

#include <map>

namespace calyx::web {

using http::bhttp::status;
using templates::escape_html;
using namespace admin_html;

namespace {

// The CSS variable a field drives in the preview (empty: not previewed).
std::string_view preview_variable(std::string_view field) {
  static const std::map<std::string_view, std::string_view> variables{
      {"primary_color", "--color-primary"},       {"secondary_color", "--color-secondary"},
      {"accent_color", "--color-accent"},         {"background_color", "--color-background"},
      {"text_color", "--color-text"},             {"font_family", "--font-family"},
      {"heading_font", "--font-heading"}};
  auto it = variables.find(field);
  return it == variables.end() ? std::string_view() : it->second;
}

// A colour picker needs #rrggbb; other forms of a colour leave the picker at black.
std::string picker_value(std::string_view color) {
  if (color.size() == 7 && color.front() == '#') return std::string(color);
  if (color.size() == 4 && color.front() == '#') return fmt::format("#{0}{0}{1}{1}{2}{2}", color[1], color[2], color[3]);
  return "#000000";
}

}  // namespace

http::Response AdminPages::theme(const http::Request& request, const http::RequestContext& context,
                                 const AdminRequest& admin) {
  const auto& tenant = admin.tenant;
  if (request.method() != http::bhttp::verb::post) return theme_form(request, admin, tenant.theme, {}, status::ok);
  std::string_view body = request.body();
  // A field the form sends replaces the tenant's value (empty: inherit); a field it leaves out keeps it.
  themes::Values submitted = tenant.theme;
  for (const auto& spec : themes::fields()) {
    // Custom JavaScript is not the tenant admin's to change until a platform admin allows it.
    if (spec.kind == themes::Kind::js && !tenant.allow_custom_js) continue;
    if (auto value = form_field(body, spec.name)) submitted[std::string(spec.name)] = std::move(*value);
  }
  auto checked = themes::validate_all(submitted);
  if (!checked.refusals.empty()) return theme_form(request, admin, submitted, checked.refusals, status::unprocessable_entity);
  if (auto ok = services_.tenancy.set_theme(tenant.slug, checked.values); !ok) {
    return theme_form(request, admin, submitted, {{"", ok.error().message()}}, status::unprocessable_entity);
  }
  return done(request, context, admin, "theme.changed", tenant.slug, "/admin/theme", Flash::theme_saved);
}

http::Response AdminPages::theme_upload(const http::Request& request, const http::RequestContext& context,
                                        const AdminRequest& admin) {
  const auto& tenant = admin.tenant;
  if (request.method() != http::bhttp::verb::post) return redirect(request, "/admin/theme");
  auto parts = multipart_parts(request);
  if (!parts) {
    return theme_form(request, admin, tenant.theme, {{"", "The upload was not a well-formed form (multipart/form-data)."}},
                      status::bad_request);
  }
  std::string field_name;
  const FormPart* file = nullptr;
  for (const auto& part : *parts) {
    if (part.name == "field") field_name = part.content;
    if (part.name == "file") file = &part;
  }
  if (!themes::is_image_field(field_name)) {
    return theme_form(request, admin, tenant.theme, {{"", "Choose which image the file is for."}}, status::bad_request);
  }
  if (!file || file->content.empty()) {
    return theme_form(request, admin, tenant.theme, {{field_name, "Choose a file to upload."}}, status::bad_request);
  }
  auto url = services_.tenancy.put_theme_image(tenant.slug, field_name, file->content);
  if (!url) return theme_form(request, admin, tenant.theme, {{field_name, url.error().message()}}, status::unprocessable_entity);
  return done(request, context, admin, "theme.image_uploaded", field_name, "/admin/theme", Flash::theme_saved);
}

http::Response AdminPages::theme_form(const http::Request& request, const AdminRequest& admin, const themes::Values& shown,
                                      const std::vector<themes::Refusal>& refusals, status code) {
  const auto& tenant = admin.tenant;
  const auto& tr = admin.frame.tr;
  // What each field would be if the tenant left it unset: its parent's (or the default).
  // (For a field the tenant set, the placeholder is never seen.)
  themes::Values not_own;
  for (const auto& [name, value] : tenant.effective_theme.values) {
    if (!tenant.theme.contains(name)) not_own[name] = value;
  }
  themes::Resolved inherited = themes::resolve({&not_own});
  std::map<std::string, std::string, std::less<>> errors;
  std::string general;
  for (const auto& refusal : refusals) {
    if (refusal.field.empty()) general += refusal.message + " ";
    else errors[refusal.field] = refusal.message;
  }
  auto value_of = [&](std::string_view name) {
    auto it = shown.find(name);
    return it == shown.end() ? std::string() : it->second;
  };

  struct Group {
    std::string_view title;
    std::vector<std::string_view> fields;
  };
  const std::vector<Group> groups{
      {"Colours", {"primary_color", "secondary_color", "accent_color", "background_color", "text_color"}},
      {"Fonts", {"font_family", "heading_font"}},
      {"Brand", {"company_name", "support_email", "copyright_text"}},
      {"Images", {"logo_url", "favicon_url", "login_background_url"}},
      {"Custom code", {"custom_css", "custom_js"}},
  };
  std::string sections;
  for (const auto& group : groups) {
    std::string inputs;
    for (auto name : group.fields) {
      const auto* spec = themes::find_field(name);
      std::string id = fmt::format("theme-{}", name);
      std::string error = errors.count(name) ? fmt::format(R"(<p class="error-text" id="{}-error" data-field-error="{}">{}</p>)",
                                                           id, name, escape_html(errors[std::string(name)]))
                                             : "";
      std::string described = errors.count(name) ? fmt::format(R"( aria-invalid="true" aria-describedby="{}-error")", id) : "";
      std::string placeholder(inherited.get(name));
      std::string variable(preview_variable(name));
      std::string data_var = variable.empty() ? "" : fmt::format(R"( data-theme-var="{}")", variable);
      std::string control;
      if (spec->kind == themes::Kind::css || spec->kind == themes::Kind::js) {
        bool locked = spec->kind == themes::Kind::js && !tenant.allow_custom_js;
        control = fmt::format(R"(<textarea id="{}" name="{}" rows="6" maxlength="{}"{}{}>{}</textarea>)", id, name, spec->max_length,
                              described, locked ? " disabled" : "", escape_html(value_of(name)));
        std::string_view hint =
            spec->kind == themes::Kind::css
                ? "Applied after the theme. Not allowed: @import, url() to other sites, '<', backslash escapes, expression()."
                : (locked ? "Custom JavaScript is off for this workspace: a platform administrator must allow it."
                          : "Served as a file and run on every page of the workspace.");
        control += fmt::format(R"(<p class="hint">{}</p>)", escape_html(tr(hint)));
      } else {
        control = fmt::format(R"(<input id="{}" name="{}" type="text" maxlength="{}" value="{}" placeholder="{}"{}{} autocomplete="off">)",
                              id, name, spec->max_length, escape_html(value_of(name)), escape_html(placeholder), described,
                              data_var);
        if (spec->kind == themes::Kind::color) {
          std::string current = value_of(name).empty() ? placeholder : value_of(name);
          control = fmt::format(
              R"(<div class="flex items-center gap-2"><input type="color" class="h-10 w-12 shrink-0 rounded border border-gray-400" data-for="{}" value="{}" aria-label="{}">{}</div>)",
              id, picker_value(current), escape_html(fmt::format("{} ({})", tr(spec->label), tr("picker"))), control);
        }
        if (spec->kind == themes::Kind::url) {
          control += fmt::format(R"(<p class="hint">{}</p>)",
                                 escape_html(tr("An https:// address or a path on this site; or upload a file below.")));
        }
        if (spec->kind == themes::Kind::color) {
          control += fmt::format(R"(<p class="hint">{}</p>)", escape_html(tr("#rgb, #rrggbb or rgb(r, g, b). Empty: inherited.")));
        }
      }
      inputs += fmt::format(R"(<div class="field" data-field="{}"><label for="{}">{}</label>{}{}</div>)", name, id,
                            escape_html(tr(spec->label)), control, error);
    }
    sections += fmt::format(R"(<fieldset class="card mb-6"><legend class="px-1 font-semibold">{}</legend>{}</fieldset>)",
                            escape_html(tr(group.title)), inputs);
  }

  std::string uploads;
  for (auto name : themes::kImageFields) {
    const auto* spec = themes::find_field(name);
    uploads += fmt::format(
        R"(<form method="post" action="/admin/theme/upload" enctype="multipart/form-data" class="flex flex-wrap items-end gap-3 border-b border-gray-200 py-3" data-upload="{name}">{csrf}<input type="hidden" name="field" value="{name}">
<div class="grow"><label for="upload-{name}">{label}</label><input id="upload-{name}" name="file" type="file" accept="image/png,image/jpeg,image/gif,image/webp,image/x-icon" class="block w-full text-sm"></div>
<button type="submit" class="btn btn-secondary">{upload}</button></form>)",
        fmt::arg("name", name), fmt::arg("csrf", csrf_field(admin)), fmt::arg("label", escape_html(tr(spec->label))),
        fmt::arg("upload", escape_html(tr("Upload"))));
  }

  const auto& effective = tenant.effective_theme;
  std::string logo = effective.get("logo_url").empty()
                         ? fmt::format(R"(<span class="font-heading text-lg font-semibold">{}</span>)",
                                       escape_html(effective.get("company_name").empty() ? tenant.name : effective.get("company_name")))
                         : fmt::format(R"(<img src="{}" alt="" class="h-8 w-auto">)", escape_html(effective.get("logo_url")));
  std::string body = fmt::format(
      R"(<h1>{title}</h1>{general}
<div class="grid gap-6 lg:grid-cols-3">
<form method="post" action="/admin/theme" class="lg:col-span-2" data-theme-form novalidate>{csrf}{sections}
<button type="submit" class="btn">{save}</button></form>
<aside class="lg:sticky lg:top-4 lg:self-start" aria-labelledby="preview-title">
<h2 id="preview-title">{preview}</h2>
<div data-theme-preview class="rounded-lg border border-gray-300 bg-canvas p-5 font-sans text-ink">
<div class="mb-4">{logo}</div>
<h3 class="mb-2 font-heading text-xl">{sample_heading}</h3>
<p class="mb-4 text-sm">{sample_text} <a href="#preview-title" class="text-accent">{sample_link}</a></p>
<div class="flex flex-wrap gap-2"><button type="button" class="btn" data-preview-primary>{primary}</button><span class="badge bg-secondary text-white">{secondary}</span></div>
</div>
<section class="card mt-6"><h2>{images}</h2>{uploads}<p class="hint mt-2">{image_hint}</p></section>
</aside></div>)",
      fmt::arg("title", escape_html(tr("Theme"))), fmt::arg("general", alert(general)), fmt::arg("csrf", csrf_field(admin)),
      fmt::arg("sections", sections), fmt::arg("save", escape_html(tr("Save the theme"))),
      fmt::arg("preview", escape_html(tr("Preview"))), fmt::arg("logo", logo),
      fmt::arg("sample_heading", escape_html(tr("A heading in your fonts"))),
      fmt::arg("sample_text", escape_html(tr("Body text in your text colour on your background."))),
      fmt::arg("sample_link", escape_html(tr("An accent link"))), fmt::arg("primary", escape_html(tr("Primary button"))),
      fmt::arg("secondary", escape_html(tr("Secondary"))), fmt::arg("images", escape_html(tr("Upload images"))),
      fmt::arg("uploads", uploads),
      fmt::arg("image_hint", escape_html(tr("PNG, JPEG, GIF, WebP or ICO, at most 512 KiB. SVG is not accepted: it can carry script."))));
  return page_response(request, code, admin.frame, Layout::app, tr("Theme"), body);
}

}  // namespace calyx::web
