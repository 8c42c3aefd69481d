"""Pydantic models of the Seren API schemas the client reads or sends.

Written from ``seren-openapi-subset.json`` (the wire contract); ``tests/test_remote_models.py`` checks
every class against the schema of the same name (fields, required, nullability, enums), so drift
fails a test instead of a push. Conventions:

- Response models ignore unknown fields (the server may add some) and keep timestamps and ids as
  the strings the server sent, so they round-trip unchanged.
- Request models forbid unknown fields and are serialized with ``exclude_unset``, which keeps the
  tri-state ``PATCH`` (omitted = unchanged, ``null`` = clear).
- Optional, non-nullable fields default to what the server's serde default is (``false`` for
  booleans, the documented default for enums).
"""

from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from skillsync.text import CONTROL

# Bounds on what a remote may claim (docs/remotes.md, "What a remote may send"): a bad answer is a
# remote error naming the field, never a crash further down (tree digests, the unpacker, disk).
MAX_REMOTE_FILE_BYTES: Final = 1 << 40  # 1 TiB: far above any real limit, far below overflow
SHA256_HEX: Final = r"^[0-9a-fA-F]{64}$"
_PATH = Field(min_length=1, max_length=4096)


def _plain_path(path: str) -> str:
    if CONTROL.search(path):
        raise ValueError("path contains a control character")
    return path


_SHA = Field(pattern=SHA256_HEX)
_SIZE = Field(ge=0, le=MAX_REMOTE_FILE_BYTES)


class _Response(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class Organization(_Response):
    created_at: str
    created_by: str
    deleted_at: str | None = None
    id: str
    is_personal: bool
    name: str
    slug: str
    stripe_customer_id: str | None = None
    updated_at: str


class PaginationMeta(_Response):
    """Pagination metadata included in responses."""

    count: int
    has_more: bool
    limit: int
    offset: int
    total: int


OrganizationCustomSkillStatus = Literal["active", "archived"]

OrganizationCustomSkillRevisionStatus = Literal["draft", "published", "superseded", "archived"]


class OrganizationCustomSkillFileInput(_Request):
    content_base64: str
    content_type: str | None = None
    relative_path: str


class OrganizationCustomSkillFileMetadata(_Response):
    content_type: str
    created_at: str
    id: str
    is_text: bool
    relative_path: str = _PATH
    revision_id: str
    sha256: str = _SHA
    size_bytes: int = _SIZE

    _path = field_validator("relative_path")(_plain_path)


class OrganizationCustomSkillFileContent(_Response):
    content_base64: str
    content_type: str
    is_text: bool
    relative_path: str = _PATH
    revision_id: str
    sha256: str = _SHA
    size_bytes: int = _SIZE

    _path = field_validator("relative_path")(_plain_path)


class OrganizationCustomSkillRevisionSummary(_Response):
    bundle_artifact_key: str | None = None
    bundle_sha256: str
    bundle_size_bytes: int
    created_at: str
    created_by_user_id: str | None = None
    description: str | None = None
    file_count: int
    id: str
    organization_custom_skill_id: str
    organization_id: str
    published_at: str | None = None
    revision_number: int
    status: OrganizationCustomSkillRevisionStatus
    title: str | None = None


class OrganizationCustomSkill(_Response):
    created_at: str
    created_by_user_id: str | None = None
    description: str | None = None
    display_name: str
    id: str
    latest_revision: OrganizationCustomSkillRevisionSummary | None = None
    latest_revision_id: str | None = None
    organization_id: str
    published_revision: OrganizationCustomSkillRevisionSummary | None = None
    published_revision_id: str | None = None
    slug: str
    status: OrganizationCustomSkillStatus
    updated_at: str
    updated_by_user_id: str | None = None


class OrganizationCustomSkillRevision(_Response):
    bundle_artifact_key: str | None = None
    bundle_sha256: str
    bundle_size_bytes: int
    created_at: str
    created_by_user_id: str | None = None
    description: str | None = None
    files: list[OrganizationCustomSkillFileMetadata]
    frontmatter: Any
    id: str
    manifest: Any
    organization_custom_skill_id: str
    organization_id: str
    published_at: str | None = None
    revision_number: int
    skill_md: str
    skill_md_sha256: str
    status: OrganizationCustomSkillRevisionStatus
    title: str | None = None

    @field_validator("files")
    @classmethod
    def _unique_paths(
        cls, files: list[OrganizationCustomSkillFileMetadata]
    ) -> list[OrganizationCustomSkillFileMetadata]:
        seen: set[str] = set()
        for f in files:
            if f.relative_path in seen:
                raise ValueError(f"duplicate path {f.relative_path!r}")
            seen.add(f.relative_path)
        return files


class CreateOrganizationCustomSkillRevisionRequest(_Request):
    files: list[OrganizationCustomSkillFileInput]
    publish: bool = False


class CreateOrganizationCustomSkillRequest(_Request):
    description: str | None = None
    display_name: str
    initial_revision: CreateOrganizationCustomSkillRevisionRequest
    slug: str


class UpdateOrganizationCustomSkillRequest(_Request):
    description: str | None = None
    display_name: str | None = None
    status: OrganizationCustomSkillStatus | None = None


class OrganizationMemberWithUser(_Response):
    """Organization member with denormalized user fields for API responses."""

    created_at: str
    email: str
    id: str
    name: str | None = None
    organization_id: str
    role: str
    user_id: str


class OrganizationInvite(_Response):
    """Response type for organization invites (token is not exposed over the API)."""

    accepted_at: str | None = None
    created_at: str
    email: str
    expires_at: str
    id: str
    invited_by: str
    organization_id: str
    revoked_at: str | None = None
    role: str


OrganizationPrivateChatMode = Literal["standard", "private_org_agent"]

ManagedAgentPrivateOutputPolicy = Literal["control_plane", "private_session_database"]

ManagedAgentSessionDatabaseEngine = Literal["postgres", "aurora_postgres"]

ManagedAgentSessionDatabaseProvider = Literal["direct_url", "seren_organization_database"]


class ManagedAgentSessionDatabase(_Response):
    database_name: str | None = None
    engine: ManagedAgentSessionDatabaseEngine
    provider: ManagedAgentSessionDatabaseProvider = "direct_url"
    url_secret_key: str | None = None


class OrganizationPrivateChatPolicy(_Response):
    allow_claude_agent: bool = False
    allow_cloud_agent_launch: bool = False
    allow_codex_agent: bool = False
    allow_seren_agent: bool = False
    allow_seren_private_agent: bool = False
    deployment_id: str | None = None
    deployment_name: str | None = None
    disable_external_model_providers: bool = False
    disable_local_agents: bool = False
    disable_seren_models: bool = False
    fallback_models: list[str] | None = None
    force_private_model: bool = False
    hide_model_picker: bool = False
    mode: OrganizationPrivateChatMode
    model_id: str | None = None
    organization_id: str
    private_output_policy: ManagedAgentPrivateOutputPolicy = "control_plane"
    session_database: ManagedAgentSessionDatabase | None = None
    updated_at: str


class AssetInfo(_Response):
    """Minimal asset info for API responses"""

    contract_address: str | None = None
    decimals: int
    id: str
    is_native: bool
    is_stablecoin: bool
    name: str
    network_id: str
    network_name: str
    symbol: str


PricingModel = Literal["per_row", "per_request", "per_byte", "tiered", "passthrough"]


class PricingConfigResponse(_Response):
    """Pricing config response"""

    asset_id: str
    asset_symbol: str | None = None
    base_price_per_1000_rows: str
    grace_period_minutes: int | None = None
    hourly_rate: str | None = None
    low_balance_threshold: str
    markup_multiplier: str
    max_queries_per_minute: int | None = None
    min_charge: str
    min_display_price: str | None = None
    minimum_balance: str
    onchain_enabled: bool
    payment_expiry_minutes: int
    prepaid_enabled: bool
    price_per_call: str | None = None
    price_per_delete: str | None = None
    price_per_execution: str | None = None
    price_per_get: str | None = None
    price_per_patch: str | None = None
    price_per_post: str | None = None
    price_per_put: str | None = None
    pricing_display_text: str | None = None
    pricing_model: PricingModel
    reserve_max_charge: str | None = None
    unresolved_fallback_charge: str | None = None


ComputeType = Literal["template", "workflow", "function", "agent"]

DatabaseType = Literal["serendb", "neon", "supabase", "mongodb"]

HttpMethod = Literal["GET", "POST", "PUT", "DELETE", "PATCH"]

ParamType = Literal["string", "integer", "boolean", "number", "array"]


class QueryParamDefinition(_Response):
    """Query parameter definition for an endpoint"""

    description: str | None = None
    example: str | None = None
    name: str
    param_type: ParamType = "string"
    required: bool = False


class EndpointDefinition(_Response):
    """A structured endpoint definition for LLM discoverability and access control"""

    body_template: Any = None
    description: str | None = None
    example_request: Any = None
    example_response: Any = None
    is_default: bool = False
    is_protected: bool = False
    method: HttpMethod
    path: str
    price: str | None = None
    protection_reason: str | None = None
    query_params: list[QueryParamDefinition] | None = None
    request_body: Any = None
    required_headers: list[str] | None = None
    response: Any = None


IntegrationType = Literal["api", "mcp"]

PublisherCategory = Literal["database", "integration", "compute"]

PublisherType = Literal["individual", "organization", "verified_partner"]

GeoRoutingMode = Literal["always", "opt_in"]


class GeoRoutingConfig(_Response):
    mode: GeoRoutingMode = "always"
    proxy_region: str


UndocumentedEndpointPolicy = Literal["default_allow", "default_deny"]


class UsageExample(_Response):
    """A single usage example showing how to call a publisher's API"""

    curl: str | None = None
    description: str | None = None
    title: str | None = None


class PublisherResponse(_Response):
    """Publisher response (excludes sensitive fields)"""

    a2a_agent_card: Any = None
    a2a_endpoint_url: str | None = None
    a2a_health_status: str | None = None
    accepted_assets: list[AssetInfo] | None = None
    allowed_passthrough_headers: list[str]
    api_key_header: str | None = None
    api_key_query_param: str | None = None
    api_url: str | None = None
    billing_model: str
    branch_id: str | None = None
    capabilities: list[str]
    categories: list[str]
    compute_type: ComputeType | None = None
    created_at: str
    database_config: Any = None
    database_name: str | None = None
    database_type: DatabaseType | None = None
    description: str | None = None
    email: str | None = None
    endpoints: list[EndpointDefinition] | None = None
    gateway_fee_percent: str
    id: str
    integration_type: IntegrationType | None = None
    is_active: bool
    is_verified: bool
    logo_url: str | None = None
    mcp_capabilities: Any = None
    mcp_endpoint: str | None = None
    name: str
    oauth_provider_id: str | None = None
    ownership_tracking_enabled: bool
    pricing: list[PricingConfigResponse] | None = None
    project_id: str | None = None
    protected_operations: Any = None
    publisher_category: PublisherCategory
    publisher_type: PublisherType
    request_content_type: str
    requires_user_oauth: bool
    resource_description: str | None = None
    resource_id_response_path: str | None = None
    resource_id_url_pattern: str | None = None
    resource_name: str | None = None
    routing: GeoRoutingConfig | None = None
    slug: str
    token_cache_ttl_seconds: int | None = None
    token_exchange_method: str | None = None
    token_exchange_mode: str | None = None
    token_exchange_url: str | None = None
    token_response_field: str | None = None
    total_queries: int
    total_revenue_atomic: int
    undocumented_endpoint_policy: UndocumentedEndpointPolicy
    unique_agents_served: int
    updated_at: str
    upstream_cost_response_path: str | None = None
    upstream_headers: Any
    usage_examples: list[UsageExample] | None = None
    use_cases: list[str]
    verification_expires_at: str | None = None
    wallet_address: str
    wallet_network_id: str


class PublisherEarningsResponse(_Response):
    """Publisher earnings summary response (per asset)."""

    asset: AssetInfo
    available: float
    available_atomic: int
    pending_payout: float
    pending_payout_atomic: int
    publisher_id: str
    publisher_name: str
    publisher_slug: str
    request_count: int
    total_revenue: float
    total_revenue_atomic: int
    total_withdrawn: float
    total_withdrawn_atomic: int
    wallet_address: str


PayoutStatus = Literal["queued", "processing", "completed", "failed", "cancelled"]


class PublisherPayoutResponse(_Response):
    """Publisher payout response."""

    amount: float
    amount_atomic: int
    asset: AssetInfo
    destination_wallet: str
    error_message: str | None = None
    id: str
    publisher_id: str
    requested_at: str
    status: PayoutStatus
    tx_hash: str | None = None


# The analytics schemas are inline in the contract (DataResponse_RevenueMetrics and the like); the
# models carry the names those wrappers use.


class RevenueMetrics(_Response):
    """Revenue metrics with period-over-period comparison."""

    active_agents: int
    agents_change_pct: int
    avg_query_cost_atomic: int
    period_end: str
    period_start: str
    queries_change_pct: int
    revenue_change_pct: int
    total_queries: int
    total_revenue: str
    total_revenue_atomic: int


class RevenueByDay(_Response):
    """Revenue breakdown by day."""

    date: str
    query_count: int
    revenue: str
    revenue_atomic: int
    unique_agents: int


class TopAgent(_Response):
    """Top agent by spending."""

    agent_wallet: str
    balance_atomic: int
    last_active: str | None = None
    query_count: int
    rank: int
    total_spent: str
    total_spent_atomic: int
