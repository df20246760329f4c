"""moto's AWS emulator served single-threaded from inside this process.

moto's own server is threaded and its conditional writes can interleave; one request at a time
makes every conditional write linearizable, as DynamoDB's are.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

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
        from moto.moto_server.werkzeug_app import (  # type: ignore[import-untyped]
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

    import moto.dynamodb.models as models  # type: ignore[import-untyped]
    from moto.dynamodb.exceptions import (  # type: ignore[import-untyped]
        MockValidationException,
        MultipleTransactionsException,
        TransactionCanceledException,
    )
    from moto.dynamodb.models.dynamo_type import DynamoType  # type: ignore[import-untyped]
    from moto.dynamodb.models.table import Table  # type: ignore[import-untyped]

    backend_class = models.DynamoDBBackend
    if getattr(backend_class.transact_write_items, "_jobstate_fast", False):
        return
    original = backend_class.transact_write_items

    class _TablesNotCopied:
        """Stands in for the `copy` module inside moto's transaction: tables are not copied."""

        @staticmethod
        def deepcopy(value: object, memo: dict[int, object] | None = None) -> object:
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    def saved_state(backend: object, items: list[dict[str, object]]) -> list[tuple[object, ...]]:
        saved: list[tuple[object, ...]] = []
        for entry in items:
            operation: dict[str, object] = next(iter(entry.values()))  # type: ignore[arg-type]
            table = backend.tables.get(operation.get("TableName"))  # type: ignore[attr-defined]
            if table is None:
                continue
            key: dict[str, object] = operation.get("Key") or operation["Item"]  # type: ignore[assignment]
            hash_value = DynamoType(key[table.hash_key_attr])
            range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
            current = table.get_item(hash_value, range_value)
            shard = table.stream_shard
            saved.append(
                (table, hash_value, range_value, copy.deepcopy(current),
                 len(shard.items) if shard is not None else 0)
            )
        return saved

    def restore(saved: list[tuple[object, ...]]) -> None:
        for table, hash_value, range_value, item, stream_length in reversed(saved):
            bucket = table.items  # type: ignore[attr-defined]
            if range_value is not None:
                if item is None:
                    bucket.get(hash_value, {}).pop(range_value, None)
                else:
                    bucket[hash_value][range_value] = item
            elif item is None:
                bucket.pop(hash_value, None)
            else:
                bucket[hash_value] = item
            shard = table.stream_shard  # type: ignore[attr-defined]
            if shard is not None:
                del shard.items[stream_length:]  # type: ignore[misc]

    def transact_write_items(self: object, transact_items: list[dict[str, object]]) -> None:
        saved = saved_state(self, transact_items)
        models.copy = _TablesNotCopied
        try:
            original(self, transact_items)
        except (TransactionCanceledException, MultipleTransactionsException,
                MockValidationException):
            restore(saved)
            raise
        finally:
            models.copy = copy

    transact_write_items._jobstate_fast = True  # type: ignore[attr-defined]
    backend_class.transact_write_items = transact_write_items
