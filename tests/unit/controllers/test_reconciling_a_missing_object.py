"""Watches map nothing before the controllers start (Manager.start registers them then). That is sound
only while reconciling a key whose object does not exist changes nothing: the keys a watch mapped
from the start's lists named such objects too, and those keys are no longer queued. Every
controller the daemon runs, standalone or on Kubernetes, is given such a key here and must write
nothing to the store (whose resource version moves with any write of any kind). The one thing done
is the Secret mirror removing the files of a Secret nothing names, and a watch's key never asked
for that: the mirror's watch maps a Certificate to the Secret it names."""

from __future__ import annotations

from pathlib import Path

from certpilot.api.ca_injectables import INJECTABLE_KINDS
from certpilot.api.core import Secret
from certpilot.api.gateway import Gateway, ListenerSet
from certpilot.api.ingress import Ingress
from certpilot.controllers.all_controllers import build_all
from certpilot.controllers.cainjector import cainjector_controllers
from certpilot.controllers.cainjector.controller import CAInjectorSettings
from certpilot.controllers.options import ControllerOptions
from certpilot.controllers.shims import shim_controllers
from certpilot.controllers.shims.options import ShimOptions
from certpilot.runtime.controller import ObjectKey
from certpilot.runtime.manager import Manager
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.builders import secret_tls


async def test_no_controller_writes_for_an_object_that_does_not_exist(
    tmp_path: Path,
) -> None:
    store = SQLiteStore(tmp_path / "store.db")
    output = tmp_path / "out"
    try:
        await store.create(secret_tls("web-tls", "default"))
        factories = [
            *build_all(ControllerOptions(output_dir=output)),
            *cainjector_controllers.build(CAInjectorSettings(apiserver_ca=None), INJECTABLE_KINDS),
            *shim_controllers.build(
                ShimOptions(enable_gateway_api=True, enable_gateway_api_listenerset=True),
                {Ingress, Gateway, ListenerSet},
            ),
        ]
        manager = Manager(store, listen=None)
        reconcilers = [manager.add(factory) for factory in factories]
        assert len({r.spec.name for r in reconcilers}) == len(factories) > 20
        _, before = await store.list(Secret)
        for reconciler in reconcilers:
            namespace = "default" if reconciler.spec.primary.NAMESPACED else None
            await reconciler.reconcile(ObjectKey(namespace, "missing"))
        _, after = await store.list(Secret)
        assert after == before, "a controller wrote to the store for an object that does not exist"
    finally:
        await store.close()
