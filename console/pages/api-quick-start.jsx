// An API's Quick Start tab: code that protects it, filled in with its identifier and the issuer.
import { useState } from 'react';
import { QUICK_STARTS } from '../quick-start-snippets';
import { SelectField } from '../components';
import { useSession } from '../session';
import { Snippet } from './api-test';

export function ApiQuickStart({ api }) {
  const { issuer } = useSession();
  const [key, setKey] = useState(QUICK_STARTS[0].key);
  const current = QUICK_STARTS.find((q) => q.key === key);
  return (
    <>
      <p className="lead">
        Protect {api.name} with tokens of this service: check the signature with the issuer&apos;s keys, the issuer, the audience (
        <span className="mono">{api.identifier}</span>) and the expiry.
      </p>
      {api.signingAlgorithm === 'HS256' && (
        <p>This API signs its tokens with HS256: verify them with its signing secret instead of the JWKS, with the same checks.</p>
      )}
      <SelectField
        label="Language and library"
        name="quickStart"
        value={key}
        onChange={setKey}
        options={QUICK_STARTS.map((q) => ({ value: q.key, label: q.label }))}
      />
      <Snippet label={current.label} code={current.code({ issuer, audience: api.identifier, algorithm: api.signingAlgorithm })} />
    </>
  );
}
