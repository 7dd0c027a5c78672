// Signing keys: per algorithm, each key's state and thumbprint; rotate an algorithm's keys, revoke
// a PREVIOUS key (tokens it signed stop verifying), each after a confirmation.
import { SigningKeyRevokeDocument, SigningKeyRotateDocument, SigningKeysDocument } from '../../sdk/generated/graphql';
import { formatDate, FormErrors, Loaded, MissingPermission, Requires, useTitle } from '../components';
import { useMutation, useQuery } from '../data';
import { useCan } from '../session';

const ALGORITHMS = ['RS256', 'PS256', 'ES256'];

export function SigningKeysPage() {
  useTitle('Signing keys');
  const can = useCan();
  const query = useQuery(SigningKeysDocument, { first: 100 }, { skip: !can('read:signing_keys') });
  const [rotate, rotateState] = useMutation(SigningKeyRotateDocument);
  const [revoke, revokeState] = useMutation(SigningKeyRevokeDocument);
  const rotateAlgorithm = async (algorithm) => {
    if (!window.confirm(`Rotate the ${algorithm} keys? The NEXT key becomes CURRENT and signs new tokens; CURRENT becomes PREVIOUS.`))
      return;
    if (await rotate({ algorithm })) query.reload();
  };
  const revokeKey = async (key) => {
    if (!window.confirm(`Revoke key ${key.kid}? Tokens it signed stop verifying at once.`)) return;
    if (await revoke({ kid: key.kid })) query.reload();
  };
  return (
    <>
      <h1>Signing keys</h1>
      <p className="lead">The keys that sign access and ID tokens, per algorithm. Published keys are in the JWKS.</p>
      {!can('read:signing_keys') ? (
        <MissingPermission scope="read:signing_keys" action="see the signing keys" />
      ) : (
        <Loaded query={query}>
          {({ signingKeys }) => (
            <>
              <FormErrors state={rotateState} />
              <FormErrors state={revokeState} />
              {ALGORITHMS.map((algorithm) => {
                const keys = signingKeys.nodes.filter((k) => k.algorithm === algorithm);
                return (
                  <section key={algorithm} aria-labelledby={`alg-${algorithm}`} className="card">
                    <div className="card-head">
                      <h2 id={`alg-${algorithm}`}>{algorithm}</h2>
                      <Requires scope={['create:signing_keys', 'update:signing_keys']} action={`rotate the ${algorithm} keys`}>
                        <button type="button" onClick={() => rotateAlgorithm(algorithm)} disabled={rotateState.pending}>
                          Rotate {algorithm} keys
                        </button>
                      </Requires>
                    </div>
                    {keys.length === 0 ? (
                      <p>No key yet: one is made when a token needs it, or by a rotation.</p>
                    ) : (
                      <div className="table-wrap" tabIndex={0}>
                        <table>
                          <thead>
                            <tr>
                              <th scope="col">Key ID</th>
                              <th scope="col">State</th>
                              <th scope="col">Thumbprint</th>
                              <th scope="col">Created</th>
                              <th scope="col">
                                <span className="visually-hidden">Actions</span>
                              </th>
                            </tr>
                          </thead>
                          <tbody>
                            {keys.map((key) => (
                              <tr key={key.id}>
                                <td className="mono">{key.kid}</td>
                                <td>
                                  <span className={`state state-${key.state.toLowerCase()}`}>{key.state}</span>
                                </td>
                                <td className="mono wrap">{key.thumbprint}</td>
                                <td>{formatDate(key.createdAt)}</td>
                                <td>
                                  {key.state === 'PREVIOUS' &&
                                    (can('update:signing_keys') ? (
                                      <button
                                        type="button"
                                        className="danger"
                                        aria-label={`Revoke key ${key.kid}`}
                                        onClick={() => revokeKey(key)}
                                      >
                                        Revoke
                                      </button>
                                    ) : (
                                      <MissingPermission scope="update:signing_keys" action="revoke it" />
                                    ))}
                                </td>
                              </tr>
                            ))}
                          </tbody>
                        </table>
                      </div>
                    )}
                  </section>
                );
              })}
            </>
          )}
        </Loaded>
      )}
    </>
  );
}
