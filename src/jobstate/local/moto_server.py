"""moto's AWS emulator served single-threaded from inside this process.

moto's own server is threaded and its conditional writes can interleave; one request at a time
makes every conditional write linearizable, as DynamoDB's are.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@dataclass
class MotoServer:
    host: str = "127.0.0.1"
    port: int = 0
    _server: BaseWSGIServer | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> MotoServer:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            create_backend_app,
        )

        install_fast_transactions()
        app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server(
            self.host, self.port, app, threaded=False, request_handler=_QuietHandler
        )
        self.port = self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="moto-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def install_fast_transactions() -> None:
    """Make moto's TransactWriteItems cost what the transaction touches, not the whole table.

    moto snapshots every table a transaction names (a deep copy of all items and all stream
    records) so it can roll back on a failed condition. That is O(table) per transaction and
    makes a 1,000-chunk job quadratic. This keeps the same all-or-nothing behaviour by saving
    only the items the transaction names and the stream's length, and restoring those on failure.
    """
    import copy
    import importlib

    # moto's internals are reached as plain objects: this is emulator glue, not an API.
    models: Any = importlib.import_module("moto.dynamodb.models")
    errors: Any = importlib.import_module("moto.dynamodb.exceptions")
    dynamo_type: Any = importlib.import_module("moto.dynamodb.models.dynamo_type")
    table_module: Any = importlib.import_module("moto.dynamodb.models.table")
    dynamo_value, table_class = dynamo_type.DynamoType, table_module.Table
    refusals = (
        errors.TransactionCanceledException,
        errors.MultipleTransactionsException,
        errors.MockValidationException,
    )

    backend_class = models.DynamoDBBackend
    if getattr(backend_class.transact_write_items, "_jobstate_fast", False):
        return
    original = backend_class.transact_write_items

    class _TablesNotCopied:
        """Stands in for the `copy` module inside moto's transaction: tables are not copied."""

        @staticmethod
        def deepcopy(value: object, memo: dict[int, object] | None = None) -> object:
            return value if isinstance(value, table_class) else copy.deepcopy(value, memo)

    def saved_state(backend: Any, items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        saved: list[tuple[Any, ...]] = []
        for entry in items:
            operation: dict[str, Any] = next(iter(entry.values()))
            table = backend.tables.get(operation.get("TableName"))
            if table is None:
                continue
            key: dict[str, Any] = operation.get("Key") or operation["Item"]
            hash_value = dynamo_value(key[table.hash_key_attr])
            range_value = dynamo_value(key[table.range_key_attr]) if table.range_key_attr else None
            current = table.get_item(hash_value, range_value)
            shard = table.stream_shard
            saved.append(
                (
                    table,
                    hash_value,
                    range_value,
                    copy.deepcopy(current),
                    len(shard.items) if shard is not None else 0,
                )
            )
        return saved

    def restore(saved: list[tuple[Any, ...]]) -> None:
        for table, hash_value, range_value, item, stream_length in reversed(saved):
            bucket = table.items
            if range_value is not None:
                if item is None:
                    bucket.get(hash_value, {}).pop(range_value, None)
                else:
                    bucket[hash_value][range_value] = item
            elif item is None:
                bucket.pop(hash_value, None)
            else:
                bucket[hash_value] = item
            shard = table.stream_shard
            if shard is not None:
                del shard.items[stream_length:]

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved = saved_state(self, transact_items)
        models.copy = _TablesNotCopied
        try:
            original(self, transact_items)
        except refusals:
            restore(saved)
            raise
        finally:
            models.copy = copy

    marked: Any = transact_write_items
    marked._jobstate_fast = True
    backend_class.transact_write_items = transact_write_items


def main(argv: list[str] | None = None) -> None:
    """Serve moto on a port of its own process: `python -m jobstate.local.moto_server PORT`.

    Tests use a separate process so that the emulator does not share the interpreter lock with
    the many client threads they start.
    """
    import sys

    args = sys.argv[1:] if argv is None else argv
    server = MotoServer(port=int(args[0]) if args else 0).start()
    # moto's Step Functions interpreter calls back into this server at localhost:$MOTO_PORT.
    os.environ["MOTO_PORT"] = str(server.port)
    print(server.url, flush=True)
    assert server._thread is not None
    server._thread.join()


if __name__ == "__main__":
    main()
