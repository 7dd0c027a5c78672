import type { InteractionRoutes } from '../authorize/interaction';

/** RFC 8628 §3.3: the verification page (verification_uri) where the user enters the code. */
export const DEVICE_VERIFICATION_PATH = '/device';

/** The device verification page's own sign-in and consent routes (the steps are /authorize's). */
export const DEVICE_ROUTES: InteractionRoutes = {
  continuePath: DEVICE_VERIFICATION_PATH,
  signInAction: '/device/login',
  consentAction: '/device/consent',
};
