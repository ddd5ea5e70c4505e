"""Config schemas, the type checks a composed config passes before anything is built, and a resumed run's config.

The checks need no schema per config file: every `_target_` node is checked against its class's
constructor signature (type hints, and `Annotated[..., annotated_types.Interval(...)]` bounds where a
constructor declares them), `model` against the registered constructor it names, `trainer` against
`lightning.Trainer`. So an experiment file written tomorrow is checked like the ones here today.
"""

from __future__ import annotations

import collections.abc as abc
import dataclasses
import enum
import inspect
import operator
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, OmegaConf, open_dict

from .optim import OPTIMIZERS, OptimizerConfig

# Hydra's instantiation keys, which are not constructor arguments.
HYDRA_KEYS = {"_target_", "_partial_", "_convert_", "_recursive_", "_args_"}
# train.yaml's config groups: on resume they cannot be switched, only their values changed.
GROUPS = ("data", "model", "task", "callbacks", "logger", "trainer", "experiment", "debug")


class ConfigError(ValueError):
    """A config value its consumer does not accept; the message names the key, the value and what is allowed."""


@dataclass
class LoggerSchema:
    """logger: W&B project and mode (offline | online | disabled; null reads $WANDB_MODE)."""

    project: str = "ibias"
    entity: str | None = None
    mode: str | None = None
    log_model: bool = False


@dataclass
class RunSchema:
    """run: how the run is named and grouped in W&B; `id` is filled in at start (null: a new W&B run id)."""

    name: str = MISSING
    group: str = MISSING
    tags: list[str] = field(default_factory=list)
    job_type: str = "train"
    notes: str | None = None
    id: str | None = None


@dataclass
class CheckpointSchema:
    """checkpoint: how often `checkpoints/last.ckpt` is rewritten (null and null: at the analysis cadence)."""

    every_n_steps: int | None = None
    every_n_epochs: int | None = None


@dataclass
class TopLevel:
    """The keys of configs/train.yaml that belong to no group."""

    seed: int = 0
    test: bool = True
    resume: str | None = None
    ckpt_path: str | None = None
    threads: int | None = None


CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs"  # the checkout's configs/ (configs are not packaged)


def compose_config(*overrides: str) -> DictConfig:
    """Return configs/train.yaml composed with `overrides`, as scripts/train.py would see it (no hydra node).

    The `run` node reads Hydra's choices (`${hydra:runtime.choices.data}`), so it is resolved here,
    while this composition's choices are the current ones.
    """
    from hydra import compose, initialize_config_dir
    from hydra.core.hydra_config import HydraConfig

    register_schemas()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name="train", overrides=list(overrides), return_hydra_config=True)
    HydraConfig.instance().set_config(cfg)
    with open_dict(cfg):
        cfg.run = OmegaConf.to_container(cfg.run, resolve=True)
        del cfg["hydra"]
    return cfg


def register_schemas() -> None:
    """Store the schemas in Hydra's ConfigStore under the `schema` group."""
    cs = ConfigStore.instance()
    cs.store(group="schema", name="optimizer", node=OptimizerConfig)
    cs.store(group="schema", name="logger", node=LoggerSchema)
    cs.store(group="schema", name="run", node=RunSchema)
    cs.store(group="schema", name="checkpoint", node=CheckpointSchema)
    # train.yaml's hydra.run.dir: the run folder's resumes/ when resume= is given, else a new folder.
    OmegaConf.register_new_resolver("ibias.if_set", lambda value, then, otherwise: then if value else otherwise, replace=True)


def check_task_matches_data(module_task: str, datamodule) -> None:
    """Raise if the LightningModule's task (regression | classification) is not the datamodule's."""
    if module_task != datamodule.task:
        raise ValueError(f"task={module_task} does not fit data={type(datamodule).__name__}, which is a "
                         f"{datamodule.task} data set; set task={datamodule.task}")


# ---- type checks -------------------------------------------------------------------------------
def check_config(cfg: DictConfig) -> None:
    """Raise ConfigError for the first value that the code it goes to would reject by type or declared bounds."""
    import lightning.pytorch as pl

    from ..models import MODELS

    plain = OmegaConf.to_container(cfg, resolve=True)
    check_fields(plain, TopLevel, "", "configs/train.yaml", strict=False)
    if plain.get("resume") and plain.get("ckpt_path"):
        raise ConfigError(f"resume={plain['resume']} and ckpt_path={plain['ckpt_path']} were both given: resume= continues "
                          "a run (same W&B run, its optimizer and step); ckpt_path= starts a new run from a checkpoint's "
                          "weights. Give one.")
    if plain.get("ckpt_path") and not Path(plain["ckpt_path"]).is_file():
        raise ConfigError(f"ckpt_path={plain['ckpt_path']} is not a file; give a .ckpt file such as "
                          "outputs/<group>/<name>/<date_time>/checkpoints/last.ckpt")
    if plain.get("threads") is not None and plain["threads"] < 1:
        raise ConfigError(f"threads={plain['threads']} must be a positive integer (torch's intra-op threads), or null "
                          "for torch's default of one per core")
    model = dict(plain["model"])
    name = model.pop("name", None)
    if name not in MODELS:
        raise ConfigError(f"model.name={name!r} is not a registered model; choose one of {sorted(MODELS)} "
                          "(or model=<option> from configs/model/)")
    injected = ("input_shape", "num_outputs")
    for key in injected:
        if key in model:
            raise ConfigError(f"model.{key} is set from the data (datamodule.{key}); remove it from the model config")
    check_call(model, MODELS[name], "model", f"{name}()", injected)
    for key, node in _target_nodes(plain):
        complete = not (node.get("_partial_") or node.get("_args_"))  # else arguments come later or by position
        check_call({k: v for k, v in node.items() if k not in HYDRA_KEYS}, _locate(node["_target_"], key), key,
                   node["_target_"].rsplit(".", 1)[-1], ("model",) if key == "task" else (), complete)
    check_call(plain["trainer"], pl.Trainer.__init__, "trainer", "lightning.Trainer", ("callbacks", "logger", "default_root_dir"))
    optimizer = (plain.get("task") or {}).get("optimizer") or {}
    if optimizer.get("name", "adam") not in OPTIMIZERS:
        raise ConfigError(f"task.optimizer.name={optimizer['name']!r} is not an optimizer; choose one of {sorted(OPTIMIZERS)}")
    for key, schema in (("run", RunSchema), ("logger", LoggerSchema), ("checkpoint", CheckpointSchema)):
        if plain.get(key) is not None:
            check_fields(plain[key], schema, f"{key}.", schema.__doc__.split(":")[0])
    for key in ("every_n_steps", "every_n_epochs"):
        value = (plain.get("checkpoint") or {}).get(key)
        if value is not None and value < 1:
            raise ConfigError(f"checkpoint.{key}={value} must be a positive integer, or null (at the analysis cadence)")


def check_call(values: dict[str, Any], fn, prefix: str, owner: str, injected: tuple[str, ...] = (),
               complete: bool = True) -> None:
    """Raise ConfigError unless `fn(**values, <injected>)` binds and every value fits its parameter's type hint.

    complete=False: arguments without a default may be missing (given later, or by position).
    """
    params = inspect.signature(fn).parameters
    hints = _hints(fn.__init__ if inspect.isclass(fn) else fn)
    takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
    named = {n: p for n, p in params.items() if n != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
    for key, value in values.items():
        if key not in named:
            if takes_any:
                continue
            raise ConfigError(f"{prefix}.{key} is not an argument of {owner}; it takes {', '.join(named) or 'nothing'}")
        _check_value(f"{prefix}.{key}", value, hints.get(key, Any), owner, named[key].default)
    missing = [n for n, p in named.items() if p.default is p.empty and n not in values and n not in injected]
    if missing and complete:
        raise ConfigError(f"{prefix} has no {', '.join(missing)}, which {owner} needs (no default); "
                          f"add {prefix}.{missing[0]}=...")


def check_fields(values: dict[str, Any], schema: type, prefix: str, owner: str, strict: bool = True) -> None:
    """Raise ConfigError for a value of `values` that does not fit the dataclass `schema`'s field of that name."""
    hints = _hints(schema)
    defaults = {f.name: f.default for f in dataclasses.fields(schema)}
    for key, value in values.items():
        if key in hints:
            _check_value(f"{prefix}{key}", value, hints[key], owner, defaults.get(key, inspect.Parameter.empty))
        elif strict:
            raise ConfigError(f"{prefix}{key} is not a key of {owner}; its keys are {', '.join(hints)}")


def _check_value(key: str, value: Any, hint: Any, owner: str, default: Any) -> None:
    if not _fits(value, hint):
        unset = default in (inspect.Parameter.empty, dataclasses.MISSING, MISSING)
        example = "" if unset else f" (its default: {_show(default)})"
        raise ConfigError(f"{key}={_show(value)} is not allowed: {owner} takes {key.rsplit('.', 1)[-1]} as "
                          f"{_describe(hint)}{example}")


def _hints(fn) -> dict[str, Any]:
    try:
        return typing.get_type_hints(fn, include_extras=True)
    except Exception:  # a hint that does not evaluate (a name only imported under TYPE_CHECKING): check no types
        return {}


def _target_nodes(node: Any, key: str = "") -> list[tuple[str, dict]]:
    """Return (dotted key, node) for every dict with a `_target_` in the container, outermost first."""
    found = []
    if isinstance(node, dict):
        if "_target_" in node and key:
            found.append((key, node))
        for k, v in node.items():
            found += _target_nodes(v, f"{key}.{k}" if key else str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found += _target_nodes(v, f"{key}[{i}]")
    return found


def _locate(path: str, key: str):
    """Return the class or function a `_target_` names; ConfigError naming the key if it does not import."""
    import importlib

    module, _, name = path.rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError) as err:
        raise ConfigError(f"{key}._target_={path!r} cannot be imported ({err}); check the module and class name") from None


def _fits(value: Any, hint: Any) -> bool:
    """Return True when a plain config value (None, bool, int, float, str, list, dict) fits the type hint."""
    if hint is Any or hint is object or hint is inspect.Parameter.empty or isinstance(hint, typing.TypeVar):
        return True
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Annotated:
        return _fits(value, args[0]) and all(_within(value, bound) for bound in args[1:])
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, a) for a in args)
    if hint is None or hint is type(None):
        return value is None
    if origin is typing.Literal:
        return any(value == a and type(value) is type(a) for a in args)
    if isinstance(value, dict) and "_target_" in value:
        return True  # an object built from its own config, checked against its own signature
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    container = origin or hint
    if container in (list, tuple, abc.Sequence, abc.MutableSequence, abc.Iterable, abc.Collection):
        if not isinstance(value, list):
            return False
        if container is tuple and args and args[-1] is not Ellipsis:
            return len(value) == len(args) and all(_fits(v, a) for v, a in zip(value, args))
        return not args or all(_fits(v, args[0]) for v in value)
    if container in (dict, abc.Mapping, abc.MutableMapping):
        return isinstance(value, dict) and (len(args) < 2 or all(_fits(v, args[1]) for v in value.values()))
    if dataclasses.is_dataclass(hint):
        return isinstance(value, dict)
    if isinstance(hint, type) and issubclass(hint, (os.PathLike, enum.Enum)):  # a path, or an enum by name or value
        return isinstance(value, str) or (issubclass(hint, enum.Enum) and value in [m.value for m in hint])
    return False  # a class no YAML value can be (a tensor, a callable): only a `_target_` node builds one


def _within(value: Any, bound: Any) -> bool:
    """Return True when `value` satisfies an annotated_types bound (Ge, Gt, Le, Lt, Interval); other metadata passes."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return True  # None or another type: the base type decides
    checks = {"ge": operator.ge, "gt": operator.gt, "le": operator.le, "lt": operator.lt}
    return all(getattr(bound, name, None) is None or check(value, getattr(bound, name)) for name, check in checks.items())


def _describe(hint: Any) -> str:
    """Return what a type hint allows, in words a config user reads."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Annotated:
        words = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
        bounds = [f"{words[name]} {getattr(b, name)}" for b in args[1:] for name in words if getattr(b, name, None) is not None]
        return _describe(args[0]) + (" " + " and ".join(bounds) if bounds else "")
    if origin in (typing.Union, types.UnionType):
        literals = [v for a in args if typing.get_origin(a) is typing.Literal for v in typing.get_args(a)]
        others = [_describe(a) for a in args if typing.get_origin(a) is not typing.Literal]
        return " or ".join(dict.fromkeys(([_describe(typing.Literal[tuple(literals)])] if literals else []) + others))
    if hint is None or hint is type(None):
        return "null"
    if origin is typing.Literal:
        return "one of " + ", ".join(_show(a) for a in args)
    simple = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
    if hint in simple:
        return simple[hint]
    container = origin or hint
    if container in (list, tuple, abc.Sequence, abc.MutableSequence, abc.Iterable, abc.Collection):
        if container is tuple and args and args[-1] is not Ellipsis:
            return f"a list of {len(args)} values"
        return f"a list of {_plural(_describe(args[0]))}" if args else "a list"
    if container in (dict, abc.Mapping, abc.MutableMapping):
        return "a mapping" + (f" of {_plural(_describe(args[1]))}" if len(args) == 2 else "")
    if isinstance(hint, type) and issubclass(hint, os.PathLike):
        return "a path"
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return "one of " + ", ".join(_show(m.name) for m in hint)
    return f"a {getattr(hint, '__name__', str(hint))} (a node with _target_)"


def _plural(words: str) -> str:
    return {"an integer": "integers", "a number": "numbers", "a string": "strings", "true or false": "booleans"}.get(words, words)


def _show(value: Any) -> str:
    """Return a value as YAML spells it on the command line: null, true, 'abc', [1, 2]."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return repr(value)


# ---- resume ------------------------------------------------------------------------------------
def resumed_config(folder: str | Path, overrides: typing.Sequence[str]) -> DictConfig:
    """Return the saved config of the run in `folder` with command-line `overrides` (key=value) applied on top."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    folder = Path(folder)
    saved = folder / "config.yaml"
    if not saved.is_file():
        raise ConfigError(f"resume={folder} has no config.yaml; pass the folder of a run, the one train.py printed "
                          "(outputs/<group>/<name>/<date_time>)")
    cfg = OmegaConf.load(saved)
    OmegaConf.set_struct(cfg, True)  # an override of a key the run does not have fails, as on a fresh run
    for override in OverridesParser.create().parse_overrides(list(overrides)):
        key = override.key_or_group
        if key == "resume" or override.is_hydra_override():
            continue
        if key in GROUPS and isinstance(override.value(), str):
            raise ConfigError(f"resume={folder} continues that run with its saved config, so {override.input_line} "
                              "(another config option) cannot apply; change single values (trainer.max_steps=...), "
                              "or start a new run from its weights with ckpt_path=<run folder>/checkpoints/last.ckpt")
        if override.is_delete():
            parent, _, leaf = key.rpartition(".")
            with open_dict(cfg):
                (OmegaConf.select(cfg, parent) if parent else cfg).pop(leaf, None)
        elif override.is_add() or override.is_force_add():
            with open_dict(cfg):
                OmegaConf.update(cfg, key, override.value(), merge=True, force_add=True)
        else:
            if OmegaConf.select(cfg, key, default=MISSING) is MISSING:
                raise ConfigError(f"{key} is not a key of the saved config {saved}; add it with +{override.input_line}")
            OmegaConf.update(cfg, key, override.value(), merge=True)
    with open_dict(cfg):
        cfg.resume = str(folder)
    return cfg
