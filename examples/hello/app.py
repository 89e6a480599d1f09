"""A small example app on the embedded defaults: a typed chain served over HTTP."""

from __future__ import annotations

import msgspec

from khorsyio import App, Context, CorsConfig, Domain, Handler


class Greet(msgspec.Struct):
    name: str = "world"


class Greeting(msgspec.Struct):
    text: str = ""


class SayHello(Handler[Greet, Greeting]):
    subscribes_to = "greet"
    publishes = "greeted"

    async def process(self, data: Greet, ctx: Context) -> Greeting:
        return Greeting(text=f"hello, {data.name}")


app = App(cors=CorsConfig())
app.mount(Domain(namespace="hello", handlers=[SayHello]))
app.declare_terminal("hello.greeted")

if __name__ == "__main__":
    app.run()
