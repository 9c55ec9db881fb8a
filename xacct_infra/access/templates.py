"""Read the IAM roles and policies out of rendered templates (plain dicts), resolved for one
partition, so they can be evaluated and linted as IAM will see them.

Only resource types whose effect on access this module understands are read; any other
resource is listed in :attr:`TemplateSet.unsupported` so a check never vouches for it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from xacct_infra import arns
from xacct_infra.access.compare import RoleState
from xacct_infra.access.evaluator import Policy
from xacct_infra.config import SIDES, ConsumerView, Side
from xacct_infra.intrinsics import Context, UnresolvableError, resolve

Kind = Literal["trust", "inline", "managed"]
HARMLESS_TYPES = frozenset({"AWS::IAM::InstanceProfile"})
_INERT_PROPERTIES = frozenset({"Tags", "Description"})
_PRINCIPAL_TYPES = frozenset({"AWS::IAM::Role", "AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"})


@dataclass(frozen=True)
class PolicyDoc:
    """One policy document found in a template, before and after intrinsic resolution."""

    side: Side
    kind: Kind
    name: str  # "account-a.yaml AccessRole inline policy xacct-access"
    raw: Mapping[str, Any]
    document: Mapping[str, Any]

    @cached_property
    def policy(self) -> Policy:
        return Policy(self.name, self.document)


@dataclass(frozen=True)
class Role:
    side: Side
    logical_id: str
    name: str
    arn: str
    account: str
    trust: PolicyDoc
    identity: tuple[PolicyDoc, ...]
    external_policies: tuple[str, ...] = ()  # managed policy ARNs not defined in the template
    boundary: str | None = None
    path: str = "/"
    max_session_duration: int = 3600  # IAM's default when the property is absent

    @property
    def state(self) -> RoleState:
        """The role as :mod:`access.compare` holds it to the config (the same shape ``audit`` reads live)."""
        return RoleState(arn=self.arn, name=self.name, path=self.path, max_session_duration=self.max_session_duration,
                         boundary=self.boundary, trust=self.trust.document,
                         policies=tuple((d.name, d.document) for d in self.identity), managed_arns=self.external_policies)


@dataclass(frozen=True)
class FileModel:
    """What one template file holds: its roles, every policy document, the policies attached to
    principals that are not roles of this file (``user alice``, ``role existing-role``), and the
    resources this module does not understand."""

    roles: tuple[Role, ...]
    policies: tuple[PolicyDoc, ...]
    attachments: Mapping[str, tuple[tuple[str, Mapping[str, Any]], ...]]
    unsupported: tuple[str, ...]


@dataclass(frozen=True)
class TemplateSet:
    partition: str
    roles: tuple[Role, ...]
    policies: tuple[PolicyDoc, ...]
    unsupported: tuple[str, ...] = ()  # "account-a.yaml Bucket (AWS::S3::Bucket)"
    templates: Mapping[Side, Mapping[str, Any]] = field(default_factory=dict)

    def role(self, side: Side, arn: str) -> Role | None:
        return next((r for r in self.roles if r.side == side and r.arn == arn), None)


def filename(side: Side) -> str:
    return f"account-{side}.yaml"


def load(templates: Mapping[Side, Mapping[str, Any]], view: ConsumerView, partition: str,
         names: Mapping[Side, str] | None = None) -> TemplateSet:
    """Roles and policies of both templates. Raises UnresolvableError on values it cannot resolve.
    ``names``: the file names findings use (default ``account-a.yaml``, ``account-b.yaml``)."""
    roles: list[Role] = []
    policies: list[PolicyDoc] = []
    unsupported: list[str] = []
    for side in SIDES:
        account = view.owner if side == "a" else view.consumer
        where = (names or {}).get(side, filename(side))
        model = read(side, templates[side], partition, account.id, account.region, where)
        roles += model.roles
        b = view.consumer
        if side == "b" and b.kind == "existing-role":
            roles.append(_existing_role(model, partition, b.id, b.role_path, b.role_name, where))
        policies += model.policies
        unsupported += model.unsupported
    return TemplateSet(partition, tuple(roles), tuple(policies), tuple(unsupported), templates)


def _existing_role(model: FileModel, partition: str, account: str, path: str, name: str, where: str) -> Role:
    """An ``existing-role`` consumer's role, which its template does not hold: read as a role with
    exactly the template's policies attached to it by name, and a trust that admits no one here
    (xacct-infra neither creates nor sees it; who may assume it is its owners' business)."""
    named = {d.name: d for d in model.policies}
    identity = tuple(named[n] for n, _ in model.attachments.get(f"role {name}", ()) if n in named)
    nobody = PolicyDoc("b", "trust", f"{where} existing role {name} trust policy (not in the template)", {},
                       {"Version": "2012-10-17", "Statement": []})
    return Role("b", "ExistingRole", name, arns.role_arn(partition, account, path, name), account, nobody, identity, path=path)


def read(side: Side, template: Mapping[str, Any], partition: str, account: str, region: str, where: str) -> FileModel:
    """One template file, resolved for ``partition`` in ``account``/``region`` (names findings use ``where``)."""
    resources = template.get("Resources")
    if not isinstance(resources, dict):
        raise UnresolvableError(f"{where}: has no Resources")
    ctx = _context(resources, partition, account, region)
    unsupported = [f"{where} {lid} ({res.get('Type')})" for lid, res in sorted(resources.items())
                   if res.get("Type") not in _PRINCIPAL_TYPES | HARMLESS_TYPES]
    if "Transform" in template:  # a macro or SAM rewrites the template: what deploys is not what is read here
        unsupported.append(f"{where} Transform ({template['Transform']})")

    def props(logical_id: str) -> dict[str, Any]:
        raw = resources[logical_id].get("Properties", {})
        if isinstance(raw, dict):  # a tag or description from a Parameter changes no access: not resolved
            raw = {k: v for k, v in raw.items() if k not in _INERT_PROPERTIES}
        try:
            value = resolve(raw, ctx)
        except UnresolvableError as exc:  # say where: a check never passes on a value it did not see
            raise UnresolvableError(f"{where} {logical_id}{_statement_at(raw, ctx)}: {exc}; check cannot vouch for "
                                    "what it does not resolve") from None
        return value if isinstance(value, dict) else {}

    def raw_props(logical_id: str) -> dict[str, Any]:
        value = resources[logical_id].get("Properties", {})
        return value if isinstance(value, dict) else {}

    by_type = {t: sorted(lid for lid, r in resources.items() if r.get("Type") == t) for t in _PRINCIPAL_TYPES}
    name_of = {lid: ctx.refs[lid] for lid in by_type["AWS::IAM::Role"]}
    docs: list[PolicyDoc] = []
    managed: dict[str, PolicyDoc] = {}  # ARN -> document, for ManagedPolicyArns
    attached: dict[str, list[PolicyDoc]] = {lid: [] for lid in by_type["AWS::IAM::Role"]}  # via the policy's Roles
    outside: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}  # "user alice" -> policies attached to it

    for lid in by_type["AWS::IAM::ManagedPolicy"] + by_type["AWS::IAM::Policy"]:
        p, raw = props(lid), raw_props(lid)
        kind: Kind = "managed" if resources[lid]["Type"] == "AWS::IAM::ManagedPolicy" else "inline"
        doc = PolicyDoc(side, kind, f"{where} {lid} ({kind} policy)", raw.get("PolicyDocument", {}), _document(p.get("PolicyDocument", {})))
        docs.append(doc)
        if kind == "managed":
            managed[ctx.refs[lid]] = doc
        for role_lid in _roles_named(p.get("Roles", []), name_of):
            attached[role_lid].append(doc)
        names = set(name_of.values())
        for prop, what in (("Users", "user"), ("Groups", "group"), ("Roles", "role")):
            value = p.get(prop, [])
            for target in value if isinstance(value, list) else [value]:
                if what != "role" or target not in names:
                    outside.setdefault(f"{what} {target}", []).append((doc.name, doc.document))

    roles = []
    for lid in by_type["AWS::IAM::Role"]:
        p, raw = props(lid), raw_props(lid)
        trust = PolicyDoc(side, "trust", f"{where} {lid} trust policy", raw.get("AssumeRolePolicyDocument", {}),
                          _document(p.get("AssumeRolePolicyDocument", {})))
        identity = [PolicyDoc(side, "inline", f"{where} {lid} inline policy {item.get('PolicyName')}",
                              raw_item.get("PolicyDocument", {}), _document(item.get("PolicyDocument", {})))
                    for item, raw_item in zip(p.get("Policies", []), raw.get("Policies", []), strict=True)]
        docs += [trust, *identity]
        external = [str(arn) for arn in p.get("ManagedPolicyArns", []) if arn not in managed]
        identity += [managed[arn] for arn in p.get("ManagedPolicyArns", []) if arn in managed]
        identity += [d for d in attached[lid] if d not in identity]
        duration = p.get("MaxSessionDuration", 3600)
        roles.append(Role(side, lid, name_of[lid], ctx.attrs[(lid, "Arn")], account, trust, tuple(identity),
                          tuple(external), p.get("PermissionsBoundary"), str(p.get("Path", "/")),
                          int(duration) if isinstance(duration, int | str) and str(duration).isdigit() else -1))
    return FileModel(tuple(roles), tuple(docs), {k: tuple(v) for k, v in outside.items()}, tuple(unsupported))


def _document(value: Any) -> Any:
    """A policy document; CloudFormation also takes one as a JSON string."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise UnresolvableError(f"a policy document is a string that is not JSON: {value[:40]!r}") from None
    return value


def _statement_at(properties: Any, ctx: Context) -> str:
    """`` statement <Sid>`` (or ``Statement[i]``) of the first policy statement that does not
    resolve, or "" when the value is elsewhere in the properties."""
    if not isinstance(properties, dict):
        return ""
    documents = [properties.get("AssumeRolePolicyDocument"), properties.get("PolicyDocument")]
    policies = properties.get("Policies")
    documents += [p.get("PolicyDocument") for p in policies if isinstance(p, dict)] if isinstance(policies, list) else []
    for document in documents:
        body = document.get("Statement", []) if isinstance(document, dict) else []
        for index, st in enumerate(body if isinstance(body, list) else [body]):
            try:
                resolve(st, ctx)
            except UnresolvableError:
                return f" statement {st.get('Sid') or f'Statement[{index}]'}" if isinstance(st, dict) else f" Statement[{index}]"
    return ""


def _context(resources: Mapping[str, Any], partition: str, account: str, region: str) -> Context:
    """Ref/GetAtt values of the IAM resources, computed the way CloudFormation names them."""
    bare = Context(partition, region, account)
    refs: dict[str, str] = {}
    attrs: dict[tuple[str, str], str] = {}
    for lid, res in resources.items():
        p = res.get("Properties", {})
        kind = res.get("Type")
        if kind == "AWS::IAM::Role":
            name = str(resolve(p.get("RoleName", f"{lid}-generated"), bare))
            refs[lid] = name
            attrs[(lid, "Arn")] = arns.role_arn(partition, account, str(resolve(p.get("Path", "/"), bare)), name)
        elif kind == "AWS::IAM::ManagedPolicy":
            name = str(resolve(p.get("ManagedPolicyName", f"{lid}-generated"), bare))
            refs[lid] = arns.managed_policy_arn(partition, account, str(resolve(p.get("Path", "/"), bare)), name)
            attrs[(lid, "PolicyArn")] = refs[lid]
        elif kind == "AWS::IAM::InstanceProfile":
            name = str(resolve(p.get("InstanceProfileName", f"{lid}-generated"), bare))
            refs[lid] = name
            attrs[(lid, "Arn")] = arns.instance_profile_arn(partition, account, str(resolve(p.get("Path", "/"), bare)), name)
    return Context(partition, region, account, refs, attrs)


def _roles_named(values: Any, name_of: Mapping[str, str]) -> list[str]:
    """Logical ids of the template roles a policy's ``Roles`` list names (Ref resolves to the name)."""
    names = values if isinstance(values, list) else [values]
    return [lid for lid, name in sorted(name_of.items()) if name in names]
