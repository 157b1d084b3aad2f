-- Per-tenant settings of each module (a JSON object), read and written through the module ABI.
CREATE TABLE calyx_module_settings (
  tenant_id BIGINT NOT NULL,
  module TEXT NOT NULL,
  settings TEXT NOT NULL,
  PRIMARY KEY (tenant_id, module)
);
