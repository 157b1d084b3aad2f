// The Calyx module SDK: include this one header to write a module. See docs/sdk.md.
#pragma once

#include <calyx/sdk/abi.hpp>
#include <calyx/sdk/context.hpp>
#include <calyx/sdk/data_table.hpp>
#include <calyx/sdk/json_writer.hpp>
#include <calyx/sdk/module.hpp>
#include <calyx/sdk/text.hpp>
