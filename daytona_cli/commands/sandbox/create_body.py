"""What ``sandbox create`` asks for: its options, and the ``CreateSandbox`` body built from them.

Everything the API would refuse, and can be told before asking, is a usage error (exit 2) here,
before any request (openapi.yaml ``CreateSandbox``; NOTES.md, Sandboxes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from daytona_cli.commands.options import DEFAULT_WAIT_TIMEOUT
from daytona_cli.errors import usage
from daytona_cli.params import check_identifier, check_image, parse_env, parse_pairs
from daytona_cli.provenance import provenance_labels
from daytona_cli.types import JSONObject

INTERVALS = (
    ("autoStopInterval", "auto_stop"),
    ("autoPauseInterval", "auto_pause"),
    ("autoArchiveInterval", "auto_archive"),
    ("autoDeleteInterval", "auto_delete"),
    ("ttlMinutes", "ttl"),
)


@dataclass
class CreateOptions:
    """The sandbox asked for (``CreateSandbox`` fields, by their CLI names) and how to report it."""

    name: str | None = None
    snapshot: str | None = None
    image: str | None = None
    dockerfile: Path | None = None
    resources: dict[str, int | None] = field(default_factory=dict)  # cpu, memory, disk, gpu
    labels: list[str] = field(default_factory=list)
    env: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)  # ENV=SECRET_NAME
    volumes: list[str] = field(default_factory=list)  # VOLUME:/mount/path
    auto_stop: int | None = None
    auto_pause: int | None = None
    auto_archive: int | None = None
    auto_delete: int | None = None
    ttl: int | None = None
    network_block_all: bool = False
    network_allow_list: str | None = None
    public: bool = False
    target: str | None = None
    user: str | None = None
    provenance: bool = True
    wait: bool = True
    timeout: float = DEFAULT_WAIT_TIMEOUT
    quiet: bool = False
    json_output: bool = False


def create_body(opts: CreateOptions, environ: Mapping[str, str]) -> JSONObject:
    """The ``CreateSandbox`` body; usage errors (exit 2) for what the API would refuse."""
    body = _source(opts)
    if opts.name is not None:
        body["name"] = check_identifier(opts.name, "sandbox name")
    labels = parse_pairs(opts.labels, "label", "--label")
    if opts.provenance:
        labels = {**provenance_labels(environ), **labels}
    if labels:
        body["labels"] = labels
    env_vars = parse_env(opts.env)
    if env_vars:
        body["env"] = env_vars
    secrets = parse_pairs(opts.secrets, "secret", "--secret")
    if secrets:
        body["secrets"] = [{name: secret} for name, secret in secrets.items()]
    if opts.volumes:
        body["volumes"] = [_volume(volume) for volume in opts.volumes]
    body.update(_lifetimes(opts))
    if opts.network_block_all:
        body["networkBlockAll"] = True
    if opts.network_allow_list is not None:
        body["networkAllowList"] = _cidrs(opts.network_allow_list)
    if opts.public:
        body["public"] = True
    if opts.user is not None:
        body["user"] = opts.user
    return body


def _source(opts: CreateOptions) -> JSONObject:
    """Where the sandbox comes from: a snapshot, or a declarative build (the only way to choose
    resources: a snapshot fixes them, and the API refuses both together)."""
    sources = [flag for flag, value in (("--snapshot", opts.snapshot), ("--image", opts.image),
               ("--dockerfile", opts.dockerfile)) if value is not None]  # fmt: skip
    if len(sources) > 1:
        raise usage(
            f"{' and '.join(sources)} are exclusive", hint="choose one source for the sandbox"
        )
    given = [f"--{key}" for key, value in opts.resources.items() if value is not None]
    if given and opts.image is None and opts.dockerfile is None:
        raise usage(
            f"{', '.join(given)} {'needs' if len(given) == 1 else 'need'} --image or "
            "--dockerfile: a snapshot fixes the resources of its sandboxes",
            hint="drop the resource flags, or build from an image with --image IMAGE",
        )
    body: JSONObject = {}
    if opts.snapshot is not None:
        body["snapshot"] = check_identifier(opts.snapshot, "snapshot")
    if opts.image is not None:
        body["buildInfo"] = {"dockerfileContent": f"FROM {check_image(opts.image)}\n"}
    if opts.dockerfile is not None:
        body["buildInfo"] = {"dockerfileContent": _read_dockerfile(opts.dockerfile)}
    body.update({key: value for key, value in opts.resources.items() if value is not None})
    return body


def _read_dockerfile(path: Path) -> str:
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise usage(f"cannot read the Dockerfile {path}: {reason}") from None
    if not content.strip():
        raise usage(f"the Dockerfile {path} is empty")
    return content


def _lifetimes(opts: CreateOptions) -> JSONObject:
    """Auto-stop/pause/archive/delete intervals and the TTL, in minutes. The API takes only one
    of auto-stop and auto-pause: auto-pause alone turns auto-stop off (it defaults to 15)."""
    if opts.auto_pause and opts.auto_stop:
        raise usage(
            "--auto-pause and a non-zero --auto-stop cannot be combined: the API allows only one",
            hint="pause after idling with --auto-pause MIN, or stop with --auto-stop MIN",
        )
    lifetimes = {key: getattr(opts, name) for key, name in INTERVALS}
    if opts.auto_pause and opts.auto_stop is None:
        lifetimes["autoStopInterval"] = 0
    return {key: value for key, value in lifetimes.items() if value is not None}


def _volume(text: str) -> JSONObject:
    """``VOLUME:/mount/path`` (a volume's name or ID, then an absolute path in the sandbox)."""
    volume, _, mount = text.partition(":")
    if not volume.strip() or not mount.startswith("/") or not text.isprintable():
        raise usage(
            f"--volume expects VOLUME:/mount/path, got {text!r}",
            hint="name the volume (or its ID) and an absolute path, e.g. --volume data:/data",
        )
    return {"volumeId": volume.strip(), "mountPath": mount}


def _cidrs(text: str) -> str:
    """A comma-separated list of CIDR networks, each checked (``10.0.0.0/8,192.168.1.0/24``)."""
    import ipaddress

    networks = [part.strip() for part in text.split(",") if part.strip()]
    if not networks:
        raise usage("--network-allow-list is empty", hint="give CIDRs like 10.0.0.0/8,1.2.3.4/32")
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise usage(
                f"--network-allow-list: {network!r} is not a CIDR network",
                hint="give CIDRs like 10.0.0.0/8,1.2.3.4/32",
            ) from None
    return ",".join(networks)
