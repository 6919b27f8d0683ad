# Independent reference for tests/unit/test_rng.c: splitmix64 and
# xoshiro256** from their published definitions, seeded as lib/rng.c
# documents.  Run: python3 tests/unit/rng_reference.py
M = (1 << 64) - 1

def splitmix(state):
    state = (state + 0x9E3779B97F4A7C15) & M
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return state, z ^ (z >> 31)

def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M

def seeded(seed, stream):
    state, key = splitmix(seed)
    state = key ^ stream
    s = []
    for _ in range(4):
        state, v = splitmix(state)
        s.append(v)
    return s

def step(s):
    result = (rotl((s[1] * 5) & M, 7) * 9) & M
    t = (s[1] << 17) & M
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]
    s[2] ^= t; s[3] = rotl(s[3], 45)
    return result

for seed, stream in [(0, 0), (42, 0), (42, 1), (M, 7)]:
    s = seeded(seed, stream)
    print(seed, stream, [hex(step(s)) for _ in range(3)])
