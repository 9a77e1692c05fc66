"""The names of the checks the conformance and stateful layers run: schemathesis' built-in ones
(those kept, and those the suite replaces with its own) and the suite's (checks.py). Apart from
checks.py, which imports schemathesis: the plan (plan.py) is made before that import."""

BUILT_IN_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
    "object_level_authorization",
)
CUSTOM_CHECKS = (
    "contract_documented_response_schema",
    "contract_success_media_type",
    "contract_unserved_method",
    "contract_refusal_changes_nothing",
    "contract_soft_delete",
    "contract_write_persisted",
    "contract_created_readable",
)
# Built-in checks that demand what CONTRACT.md leaves open, replaced by the suite's own:
# content_type_conformance wants JSON on every error (only "JSON when it says so" holds; the
# success media type is contract_success_media_type's); unsupported_method and
# allow_header_conformance want an Allow header on 405 (CONTRACT.md: a 405, nothing more;
# contract_unserved_method); response_schema_conformance judges against the mock's view
# (contract_documented_response_schema judges against the level's); use_after_free assumes
# hard deletes (DELETE is soft here).
NOT_ASSERTED = frozenset({"content_type_conformance", "unsupported_method", "allow_header_conformance",
                          "response_schema_conformance", "use_after_free"})
