#!/usr/bin/env python3
"""Resident pages of the static supervisor while idle (BINARY -- sleep 100), by origin: each page of
the binary is attributed to the archive (glibc, libstdc++, libgcc, our own libraries) whose input
sections cover it in the link map (build/supervisor.map, from ld.lld or GNU ld); a page shared by
several is split by bytes.
Usage: scripts/resident-by-origin.py build/supervisor build/supervisor.map"""
import re, sys, struct, collections, subprocess, time, os
binary, mapfile = sys.argv[1], sys.argv[2]
p = subprocess.Popen([binary, '--', 'sleep', '100'], stderr=subprocess.DEVNULL)
time.sleep(1.5)
ranges = []


def owner_of(obj):
    if 'libc.a' in obj: return 'glibc'
    if 'libstdc++' in obj or 'libsupc++' in obj: return 'libstdc++'
    if 'libgcc' in obj: return 'libgcc (unwinder)'
    if 'libsup' in obj or 'main.cpp' in obj: return 'supervisor'
    return 'crt/other'


def kind_of(section):
    if section.startswith('.text'): return 'code'
    if section.startswith(('.eh_frame', '.gcc_except')): return 'eh'
    return 'data'


text = open(mapfile).read()
if text.lstrip().startswith('VMA'):
    # ld.lld's map: "VMA LMA Size Align Out In Symbol"; an input section is "OBJECT:(SECTION)"
    # at the second level of indentation.
    for m in re.finditer(r'^\s*([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+ {9}(\S.*):\((\S+)\)$',
                         text, re.M):
        addr, size, obj, section = int(m.group(1), 16), int(m.group(2), 16), m.group(3), m.group(4)
        if size and addr: ranges.append((addr, size, owner_of(obj), kind_of(section)))
else:
    # GNU ld's map
    sec = text.split('Linker script and memory map', 1)[1]
    for m in re.finditer(r'^ (\.\S+)\s*\n?\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(\S+)$', sec, re.M):
        addr, size, obj = int(m.group(2), 16), int(m.group(3), 16), m.group(4)
        if size == 0 or addr == 0 or m.group(1).startswith(('.debug', '.comment', '.note.gnu.build')):
            continue
        ranges.append((addr, size, owner_of(obj), kind_of(m.group(1))))
pages = collections.defaultdict(collections.Counter)
for addr, size, owner, kind in ranges:
    for pg in range(addr >> 12, (addr + size - 1 >> 12) + 1):
        lo, hi = max(addr, pg << 12), min(addr + size, (pg + 1) << 12)
        pages[pg][(owner, kind)] += hi - lo
exe = os.path.realpath(binary)
res = collections.Counter(); total = collections.Counter()
with open(f'/proc/{p.pid}/maps') as maps, open(f'/proc/{p.pid}/pagemap', 'rb') as pm:
    for line in maps:
        f = line.split()
        if len(f) < 6 or os.path.realpath(f[5]) != exe: continue
        lo, hi = (int(x, 16) for x in f[0].split('-'))
        for pg in range(lo >> 12, hi >> 12):
            pm.seek(pg * 8); present = struct.unpack('<Q', pm.read(8))[0] >> 63
            owners = pages.get(pg) or collections.Counter({('unattributed', '-'): 4096})
            t = sum(owners.values())
            for k, v in owners.items():
                total[k] += 4 * v / t
                if present: res[k] += 4 * v / t
p.kill(); p.wait()
print(f"{'owner':20} {'kind':5} {'resident KiB':>12} {'mapped KiB':>10}")
for k, v in sorted(total.items(), key=lambda kv: -res[kv[0]]):
    print(f"{k[0]:20} {k[1]:5} {res[k]:12.0f} {v:10.0f}")
print(f"{'total':26} {sum(res.values()):12.0f} {sum(total.values()):10.0f}")
