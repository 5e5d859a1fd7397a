"""gdzw-codegen: a spec-driven code generator for GDZW 0003-2019."""
