#!/usr/bin/env python3
"""Where a wasm module's bytes go: code bytes per group (B-tree, sort, serde, the L2 model, the
simulator, ...) from the name section of a cargo-built module, before wasm-bindgen and wasm-opt
strip the names, and optionally the N largest functions.

    scripts/wasm-breakdown.py target/wasm32-unknown-unknown/wasm-s-scenarios3/cachelab.wasm [N]

A function counts in the first group whose pattern its (demangled) name matches; generic
instantiations keep their path but not their type parameters, so a group's count of functions is
how many copies it has. Used to find what to cut for issue 21's size target (README, "Publishing
the playground").
"""
import sys, re, collections
def leb(b,i):
    r=s=0
    while True:
        x=b[i]; i+=1; r|=(x&0x7f)<<s; s+=7
        if x<0x80: return r,i
def demangle(n):
    m=re.match(r'_ZN(.*)E$',n)
    if not m: return n
    s=m.group(1); parts=[]; i=0
    while i<len(s) and s[i].isdigit():
        j=i
        while s[j].isdigit(): j+=1
        l=int(s[i:j]); parts.append(s[j:j+l]); i=j+l
    parts=[p for p in parts if not re.match(r'^h[0-9a-f]{16}$',p)]
    return '::'.join(parts).replace('$LT$','<').replace('$GT$','>').replace('$u20$',' ').replace('$C$',',').replace('..','::').replace('$RF$','&').replace('$u7b$','{').replace('$u7d$','}')
b=open(sys.argv[1],'rb').read(); i=8; nimp=0; sizes=[]; names={}; data=0
while i<len(b):
    sid=b[i]; i+=1; ln,i=leb(b,i); end=i+ln
    if sid==2:
        c,j=leb(b,i)
        for _ in range(c):
            for _ in range(2):
                l,j=leb(b,j); j+=l
            k=b[j]; j+=1
            if k==0: _,j=leb(b,j); nimp+=1
            elif k==1: j+=1; f,j=leb(b,j); _,j=leb(b,j); j = j if not f&1 else leb(b,j)[1]
            elif k==2: f,j=leb(b,j); _,j=leb(b,j); j = j if not f&1 else leb(b,j)[1]
            elif k==3: j+=2
    elif sid==10:
        c,j=leb(b,i)
        for _ in range(c):
            l,j=leb(b,j); sizes.append(l); j+=l
    elif sid==11: data+=ln
    elif sid==0:
        nl,j=leb(b,i); nm=b[j:j+nl]; j+=nl
        if nm==b'name':
            while j<end:
                sub=b[j]; j+=1; sl,j=leb(b,j); se=j+sl
                if sub==1:
                    c,k=leb(b,j)
                    for _ in range(c):
                        idx,k=leb(b,k); l,k=leb(b,k); names[idx]=b[k:k+l].decode('utf8','replace'); k+=l
                j=se
    i=end
groups=collections.Counter(); counts=collections.Counter()
pats=[(r'alloc::collections::btree','btree'),(r'slice::sort|sort::','sort'),(r'serde_json','serde_json'),(r'serde_wasm_bindgen|wasm_bindgen','wasm_bindgen'),(r'serde','serde'),(r'tiers::l2|cachelab::tiers::l2','l2'),(r'cachelab::sim','sim'),(r'cachelab::scenario','scenario'),(r'cachelab::strategy','strategy'),(r'cachelab::course','course'),(r'cachelab::','cachelab-other'),(r'core::fmt|alloc::fmt','fmt'),(r'hashbrown|HashMap','hash'),(r'alloc::|core::','core/alloc')]
full=[]
for k,s in enumerate(sizes):
    n=demangle(names.get(k+nimp,'?')); full.append((s,n))
    for p,g in pats:
        if re.search(p,n): groups[g]+=s; counts[g]+=1; break
    else: groups['other']+=s; counts['other']+=1
print('code',sum(sizes),'funcs',len(sizes),'data',data)
for g,s in groups.most_common(): print(f'{g:16}{s:9}{counts[g]:6}')
if len(sys.argv)>2:
    for s,n in sorted(full,reverse=True)[:int(sys.argv[2])]: print(s,n[:160])
