# The lesson's design in CPython, for comparison with --gil (docs/gil.md): an asyncio server
# that computes in a ThreadPoolExecutor, speaking primeloop's protocol.
# Usage: python3 asyncio_threads.py PORT [WORKERS [SWITCH_INTERVAL_SECONDS]]
import asyncio, sys
from concurrent.futures import ThreadPoolExecutor

def nth_prime(n):
    count, i = 0, 1
    while True:
        i += 1
        prime = True
        if i > 3:
            for d in range(2, i // 2 + 1):
                if i % d == 0:
                    prime = False
                    break
        if prime:
            count += 1
            if count == n:
                return i

pool = ThreadPoolExecutor(int(sys.argv[2]) if len(sys.argv) > 2 else 2)

async def handle(reader, writer):
    loop = asyncio.get_running_loop()
    while True:
        line = await reader.readline()
        if not line:
            break
        r = await loop.run_in_executor(pool, nth_prime, int(line))
        writer.write(b"%d\n" % r)
        await writer.drain()
    writer.close()

async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", int(sys.argv[1]))
    print("listening on 127.0.0.1:%s" % sys.argv[1], flush=True)
    await server.serve_forever()

if len(sys.argv) > 3:
    sys.setswitchinterval(float(sys.argv[3]))
asyncio.run(main())
