"""Issue 10 §3: a handler with ``db`` and examples, added to a rendered project, gets tests
that a correct process body passes and a wrong one fails, on a test database: the
developer's ./app.db is never touched."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from .conftest import ok, render, run

CONTRACTS = '''\
"""Contracts of the shop."""

from __future__ import annotations

import msgspec


class ProductIn(msgspec.Struct):
    name: str
    price: int


class Product(msgspec.Struct):
    id: int
    name: str
    price: int
'''

MODEL = '''

class ProductRow(Base):
    """A row of ``products``."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    price: Mapped[int]
'''

SHOP = """\
  shop:
    handlers:
      CreateProduct:
        on: product.create
        emits: product.created
        input: ProductIn
        output: Product
        deps: [db]
        examples:
          a new product:
            input: {name: nut, price: 3}
            output: {id: 1, name: nut, price: 3}
          a negative price:
            input: {name: bolt, price: -1}
            error: {code: bad_price, message: a price cannot be negative}

"""

SECOND = """\
          two products:
            input: {name: washer, price: 2}
            output: {id: 1, name: washer, price: 2}
"""

BODY = """\
        if data.price < 0:
            raise HandlerError("bad_price", "a price cannot be negative")
        row = await self._db.fetchrow(
            "insert into products (name, price) values ($1, $2) returning id, name, price",
            data.name,
            data.price,
        )
        return msgspec.convert(row, Product)
"""


def _fill(path: Path, body: str) -> None:
    text = path.read_text()
    start = text.index("        raise NotImplementedError(")
    end = text.index(")\n", text.index('"', start) + 1) + 2
    text = text[:start] + body + text[end:]
    text = text.replace(
        "from khorsyio import Context, Database, Handler\n",
        "import msgspec\nfrom khorsyio import Context, Database, Handler, HandlerError\n",
    )
    path.write_text(text)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "absent"


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_db_handler_with_examples_passes_its_generated_tests(tmp_path: Path) -> None:
    root = render(tmp_path / "shop", database="sqlite", include_example=True)
    dev_db = root / "app.db"  # .env's DB_DSN: the developer's database
    dev_db.write_bytes(b"the developer's data")
    before = _digest(dev_db)
    (root / "app/contracts/shop.py").write_text(CONTRACTS)
    models = root / "app/models.py"
    models.write_text(
        models.read_text().replace(
            '__all__ = ["Base", "UserRow"]', '__all__ = ["Base", "ProductRow", "UserRow"]'
        )
        + MODEL
    )
    spec = root / "khorsyio.yaml"
    text = spec.read_text()
    text = text.replace("\nschedules:", "\n" + SHOP.rstrip("\n") + "\n\nschedules:", 1)
    text = text.replace("terminal: [", "terminal: [product.created, ", 1)
    text = text.rstrip("\n") + "\nexternal: [product.create]\n"  # a producer, for the strict graph
    spec.write_text(text)
    ok(run(root, "khorsyio", "gen"))

    test = root / "tests/shop/test_create_product.py"
    pytest_cmd = (
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
    )
    stub = run(root, *pytest_cmd, str(test.relative_to(root)))
    assert stub.returncode == 1, stub.stdout
    assert "2 failed" in stub.stdout
    assert "CreateProduct.process is not implemented yet" in stub.stdout

    handler = root / "app/domains/shop/handlers/create_product.py"
    _fill(handler, BODY)
    created = test.read_text()
    passed = run(root, *pytest_cmd, str(test.relative_to(root)))
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "2 passed" in passed.stdout
    assert test.read_text() == created  # no edit to the generated test

    # a new example is added as a new test function; the existing ones stay as they are
    spec.write_text(
        spec.read_text().replace(
            "          a negative price:", SECOND + "          a negative price:"
        )
    )
    regen = ok(run(root, "khorsyio", "gen"))
    assert "added the test of example 'two products'" in regen
    assert test.read_text().startswith(created.rstrip("\n"))
    assert "test_create_product_example_two_products" in test.read_text()
    assert run(root, *pytest_cmd, str(test.relative_to(root))).returncode == 0

    # a wrong body fails them: the output differs from the example's
    handler.write_text(
        handler.read_text().replace("data.price,\n        )", "data.price + 1,\n        )")
    )
    wrong = run(root, *pytest_cmd, str(test.relative_to(root)))
    assert wrong.returncode == 1
    assert "2 failed" in wrong.stdout

    # the whole project: its tests, ruff and mypy --strict (tests included) are clean
    handler.write_text(
        handler.read_text().replace("data.price + 1,\n        )", "data.price,\n        )")
    )
    whole = run(root, *pytest_cmd)
    assert whole.returncode == 0, whole.stdout + whole.stderr
    ok(run(root, "ruff", "check", "."))
    ok(run(root, "ruff", "format", "--check", "."))
    ok(run(root, "mypy"))
    assert _digest(dev_db) == before  # ./app.db untouched
